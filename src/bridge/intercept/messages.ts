import type { SseEvent } from "../sse";
import { arr, collect, type Json, lastText, num, obj, parseJson, requireModel, str } from "./json";
import type { ApiInterceptor, ResponseObserver, TokenUsage, ToolCall } from "./types";

/** Anthropic usage: later snapshots win field by field; absent fields stay absent. */
function mergeUsage(target: TokenUsage, usage: Json): void {
  const pick = (value: unknown, previous: number | null) => num(value) ?? previous;
  target.inputTokens = pick(usage.input_tokens, target.inputTokens);
  target.outputTokens = pick(usage.output_tokens, target.outputTokens);
  target.cacheReadInputTokens = pick(usage.cache_read_input_tokens, target.cacheReadInputTokens);
  target.cacheWriteInputTokens = pick(usage.cache_creation_input_tokens, target.cacheWriteInputTokens);
  const creation = obj(usage.cache_creation);
  collect(target.metadata, [
    ["web_search_requests", obj(usage.server_tool_use)?.web_search_requests],
    ["cache_ephemeral_1h_input", creation?.ephemeral_1h_input_tokens],
    ["cache_ephemeral_5m_input", creation?.ephemeral_5m_input_tokens],
  ]);
}

function emptyUsage(id: string): TokenUsage {
  return {
    providerResponseId: id,
    inputTokens: null,
    outputTokens: null,
    cacheReadInputTokens: null,
    cacheWriteInputTokens: null,
    metadata: {},
  };
}

interface PendingTool {
  id: string;
  name: string;
  initial: string;
  json: string;
}

function observe(): ResponseObserver {
  let id = "";
  let usage: TokenUsage | null = null;
  let overloaded = false;
  const blocks = new Map<number, PendingTool>();
  const finished: ToolCall[] = [];

  const takeUsage = (value: unknown) => {
    const u = obj(value);
    if (!u) return;
    usage ??= emptyUsage(id);
    usage.providerResponseId = id;
    mergeUsage(usage, u);
  };

  return {
    onJson(body) {
      const message = obj(body);
      if (message?.type !== "message") return;
      id = str(message.id) ?? "";
      takeUsage(message.usage);
      for (const block of arr(message.content)) {
        const b = obj(block);
        if (b?.type !== "tool_use") continue;
        finished.push({
          tool: str(b.name) ?? "",
          providerToolCallId: str(b.id) ?? "",
          input: JSON.stringify(b.input ?? {}),
        });
      }
    },
    onEvent(event: SseEvent) {
      const data = parseJson(event.data);
      if (!data) return;
      switch (data.type) {
        case "message_start": {
          const message = obj(data.message);
          id = str(message?.id) ?? id;
          takeUsage(message?.usage);
          break;
        }
        case "content_block_start": {
          const block = obj(data.content_block);
          const index = num(data.index);
          if (block?.type !== "tool_use" || index === null) break;
          const initial = obj(block.input);
          blocks.set(index, {
            id: str(block.id) ?? "",
            name: str(block.name) ?? "",
            initial: initial && Object.keys(initial).length > 0 ? JSON.stringify(initial) : "{}",
            json: "",
          });
          break;
        }
        case "content_block_delta": {
          const delta = obj(data.delta);
          const block = blocks.get(num(data.index) ?? -1);
          if (block && delta?.type === "input_json_delta") block.json += str(delta.partial_json) ?? "";
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
    result() {
      const streamed = [...blocks.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, t]) => ({ tool: t.name, providerToolCallId: t.id, input: t.json || t.initial }));
      return { usage, toolCalls: [...finished, ...streamed], overloaded };
    },
  };
}

/** Anthropic Messages (`POST /v1/messages`). */
export const messagesInterceptor: ApiInterceptor = {
  api: "messages",
  parseRequest(body) {
    const model = requireModel(body);
    if (typeof model !== "string") return model;
    const messages = arr(body.messages);
    const last = obj(messages.at(-1));
    const prompt = last?.role === "user" ? lastText(last.content) : null;
    return { model, stream: body.stream === true, prompt };
  },
  observe,
};
