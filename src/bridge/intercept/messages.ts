import type { SseEvent } from "../sse";
import { arr, collect, type Json, lastText, num, obj, parseJson, requireModel, str } from "./json";
import type {
  ApiInterceptor,
  ObservedResponse,
  ResponseObserver,
  Thought,
  TokenUsage,
  ToolCall,
} from "./types";

/**
 * Folds one Anthropic usage snapshot into `target`, field by field: a present number wins, an absent
 * (or null) field keeps what an earlier snapshot said. `message_start` carries input and cache counts
 * and a provisional output count; `message_delta` carries the final output count and, in newer API
 * versions, the input and cache counts again.
 */
function mergeUsage(target: TokenUsage, usage: Json): void {
  target.inputTokens = num(usage.input_tokens) ?? target.inputTokens;
  target.outputTokens = num(usage.output_tokens) ?? target.outputTokens;
  target.cacheReadInputTokens = num(usage.cache_read_input_tokens) ?? target.cacheReadInputTokens;
  target.cacheWriteInputTokens = num(usage.cache_creation_input_tokens) ?? target.cacheWriteInputTokens;
  const creation = obj(usage.cache_creation);
  collect(target.metadata, [
    ["web_search_requests", obj(usage.server_tool_use)?.web_search_requests],
    ["cache_ephemeral_1h_input", creation?.ephemeral_1h_input_tokens],
    ["cache_ephemeral_5m_input", creation?.ephemeral_5m_input_tokens],
  ]);
}

/** A `tool_use` content block being streamed: its input arrives as `input_json_delta` fragments. */
interface StreamedToolUse {
  id: string;
  name: string;
  /** The `input` of `content_block_start` (always `{}` from the real API), used when no delta came. */
  initialInput: string;
  partialJson: string;
}

/** A non-empty thinking text becomes a thought. */
function takeThought(into: Thought[], text: unknown): void {
  if (typeof text === "string" && text !== "") into.push({ content: text, source: "thinking" });
}

/**
 * The `tool_use_id` of the last `tool_result` block of the last message: Claude Code answers every
 * tool call in the next request's last (user) message, text after the results included.
 */
function answeredToolCall(messages: unknown): string | null {
  const last = obj(arr(messages).at(-1));
  if (last?.role !== "user") return null;
  const blocks = arr(last.content);
  for (let i = blocks.length - 1; i >= 0; i--) {
    const block = obj(blocks[i]);
    if (block?.type === "tool_result") return str(block.tool_use_id) || null;
  }
  return null;
}

function observe(): ResponseObserver {
  let id = "";
  let usage: TokenUsage | null = null;
  let overloaded = false;
  const completed: ToolCall[] = [];
  const streamed = new Map<number, StreamedToolUse>();
  const thoughts: Thought[] = [];
  // Thinking blocks being streamed, by content block index; `redacted_thinking` carries no text.
  const thinking = new Map<number, string>();

  const takeUsage = (value: unknown) => {
    const snapshot = obj(value);
    if (!snapshot) return;
    usage ??= {
      providerResponseId: id,
      inputTokens: null,
      outputTokens: null,
      cacheReadInputTokens: null,
      cacheWriteInputTokens: null,
      metadata: {},
    };
    mergeUsage(usage, snapshot);
  };

  return {
    onJson(body) {
      const message = obj(body);
      if (message?.type !== "message") return;
      id = str(message.id) ?? "";
      takeUsage(message.usage);
      for (const block of arr(message.content)) {
        const b = obj(block);
        if (b?.type === "thinking") takeThought(thoughts, b.thinking);
        if (b?.type !== "tool_use") continue;
        completed.push({
          tool: str(b.name) ?? "",
          providerToolCallId: str(b.id) ?? "",
          input: JSON.stringify(b.input ?? {}),
        });
      }
    },

    onEvent(event: SseEvent) {
      const data = parseJson(event.data);
      switch (data?.type) {
        case "message_start": {
          const message = obj(data.message);
          id = str(message?.id) ?? id;
          takeUsage(message?.usage);
          break;
        }
        case "content_block_start": {
          const block = obj(data.content_block);
          const index = num(data.index);
          if (block?.type === "thinking" && index !== null) thinking.set(index, str(block.thinking) ?? "");
          if (block?.type !== "tool_use" || index === null) break;
          const input = obj(block.input);
          streamed.set(index, {
            id: str(block.id) ?? "",
            name: str(block.name) ?? "",
            initialInput: input && Object.keys(input).length > 0 ? JSON.stringify(input) : "{}",
            partialJson: "",
          });
          break;
        }
        case "content_block_delta": {
          const delta = obj(data.delta);
          const index = num(data.index) ?? -1;
          if (delta?.type === "thinking_delta" && thinking.has(index)) {
            thinking.set(index, thinking.get(index)! + (str(delta.thinking) ?? ""));
          }
          if (delta?.type !== "input_json_delta") break;
          const block = streamed.get(index);
          if (block) block.partialJson += str(delta.partial_json) ?? "";
          break;
        }
        case "message_delta":
          takeUsage(data.usage);
          break;
        case "error":
          if (obj(data.error)?.type === "overloaded_error") overloaded = true;
          break;
      }
    },

    result(): ObservedResponse {
      const fromStream = [...streamed.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, t]) => ({ tool: t.name, providerToolCallId: t.id, input: t.partialJson || t.initialInput }));
      const finalUsage = usage ? { ...usage, providerResponseId: id, metadata: { ...usage.metadata } } : null;
      const streamedThoughts: Thought[] = [];
      for (const [, text] of [...thinking.entries()].sort(([a], [b]) => a - b))
        takeThought(streamedThoughts, text);
      return {
        usage: finalUsage,
        toolCalls: [...completed, ...fromStream],
        overloaded,
        thoughts: [...thoughts, ...streamedThoughts],
      };
    },
  };
}

/** Anthropic Messages (`POST /v1/messages`). */
export const messagesInterceptor: ApiInterceptor = {
  api: "messages",
  parseRequest(body) {
    const model = requireModel(body);
    if (typeof model !== "string") return model;
    const last = obj(arr(body.messages).at(-1));
    // A user turn holding only tool_result blocks has no text block: no prompt.
    const prompt = last?.role === "user" ? lastText(last.content) : null;
    return {
      model,
      stream: body.stream === true,
      prompt,
      correlationToolCallId: answeredToolCall(body.messages),
    };
  },
  observe,
};
