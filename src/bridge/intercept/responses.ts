import type { SseEvent } from "../sse";
import { arr, collect, type Json, num, obj, parseJson, requireModel, str } from "./json";
import type {
  ApiInterceptor,
  ObservedResponse,
  ResponseObserver,
  Thought,
  TokenUsage,
  ToolCall,
} from "./types";

function toUsage(id: string, usage: Json): TokenUsage {
  const input = num(usage.input_tokens);
  const cached = num(obj(usage.input_tokens_details)?.cached_tokens);
  const metadata: Record<string, number> = {};
  collect(metadata, [
    ["output_reasoning", obj(usage.output_tokens_details)?.reasoning_tokens],
    ["total_tokens", usage.total_tokens],
  ]);
  return {
    providerResponseId: id,
    // input_tokens includes the cached ones; the uncached remainder is the input.
    inputTokens: input === null ? null : input - (cached ?? 0),
    outputTokens: num(usage.output_tokens),
    cacheReadInputTokens: cached,
    cacheWriteInputTokens: null,
    metadata,
  };
}

/** A `function_call` (arguments) or `custom_tool_call` (free-form input) output item; else null. */
function toolCall(item: Json | undefined): ToolCall | null {
  const kind = item?.type;
  if (kind !== "function_call" && kind !== "custom_tool_call") return null;
  return {
    tool: str(item?.name) ?? "",
    providerToolCallId: str(item?.call_id) ?? "",
    input: str(kind === "function_call" ? item?.arguments : item?.input) ?? "",
  };
}

/**
 * The same call is seen up to four times in a stream (output_item.added, argument deltas,
 * output_item.done, response.completed): the output item's id ties them together. Without one,
 * its position in the output list does.
 */
function itemKey(item: Json | undefined, outputIndex: unknown): string {
  return str(item?.id) || str(item?.call_id) || `#${num(outputIndex) ?? -1}`;
}

/** The text of an assistant message's `output_text` parts, joined by "\n". */
function outputText(item: Json): string {
  const texts: string[] = [];
  for (const part of arr(item.content)) {
    const p = obj(part);
    if (p?.type === "output_text" && typeof p.text === "string" && p.text !== "") texts.push(p.text);
  }
  return texts.join("\n");
}

/**
 * The thoughts of one output item, keyed within `into` so that a later sighting of the same item
 * (output_item.done, then response.completed) replaces rather than repeats: each reasoning summary
 * part, and an assistant message the model marked as commentary (`phase: "commentary"`).
 */
function takeThoughts(into: Map<string, Thought>, item: Json | undefined, key: string): void {
  if (item?.type === "reasoning") {
    for (const [n, part] of arr(item.summary).entries()) {
      const text = str(obj(part)?.text);
      if (text) into.set(`${key}#s${n}`, { content: text, source: "reasoning_summary" });
    }
  } else if (item?.type === "message" && item.phase === "commentary") {
    const text = outputText(item);
    if (text) into.set(`${key}#c`, { content: text, source: "commentary" });
  }
}

function observe(): ResponseObserver {
  let id = "";
  let usage: Json | null = null;
  // Map order is the order the calls first appeared in; a later, more complete sighting replaces.
  const calls = new Map<string, ToolCall>();
  const thoughts = new Map<string, Thought>();

  const takeItem = (item: Json | undefined, outputIndex: unknown) => {
    const key = itemKey(item, outputIndex);
    takeThoughts(thoughts, item, key);
    const call = toolCall(item);
    if (call) calls.set(key, call);
  };
  const takeResponse = (response: Json | undefined) => {
    if (!response) return;
    id = str(response.id) || id;
    const snapshot = obj(response.usage);
    if (snapshot) usage = snapshot;
    for (const [index, item] of arr(response.output).entries()) takeItem(obj(item), index);
  };
  const appendInput = (data: Json) => {
    const call = calls.get(str(data.item_id) ?? "");
    if (call) call.input += str(data.delta) ?? "";
  };
  const setInput = (data: Json, input: unknown) => {
    const call = calls.get(str(data.item_id) ?? "");
    if (call && typeof input === "string") call.input = input;
  };

  return {
    onJson(body) {
      takeResponse(obj(body));
    },

    onEvent(event: SseEvent) {
      const data = parseJson(event.data);
      if (!data) return;
      switch (data.type) {
        case "response.created":
        case "response.in_progress":
        case "response.queued":
          id = str(obj(data.response)?.id) || id;
          break;
        case "response.output_item.added": {
          const item = obj(data.item);
          const key = itemKey(item, data.output_index);
          if (!calls.has(key)) takeItem(item, data.output_index);
          break;
        }
        // A summary part is complete before its item is: a stream cut short still keeps it.
        case "response.reasoning_summary_text.done": {
          const text = str(data.text);
          const key = `${str(data.item_id) || `#${num(data.output_index) ?? -1}`}#s${num(data.summary_index) ?? 0}`;
          if (text) thoughts.set(key, { content: text, source: "reasoning_summary" });
          break;
        }
        case "response.function_call_arguments.delta":
        case "response.custom_tool_call_input.delta":
          appendInput(data);
          break;
        case "response.function_call_arguments.done":
          setInput(data, data.arguments);
          break;
        case "response.custom_tool_call_input.done":
          setInput(data, data.input);
          break;
        case "response.output_item.done":
          takeItem(obj(data.item), data.output_index);
          break;
        case "response.completed":
        case "response.incomplete":
        case "response.failed":
          takeResponse(obj(data.response));
          break;
      }
    },

    result(): ObservedResponse {
      return {
        usage: usage ? toUsage(id, usage) : null,
        toolCalls: [...calls.values()].map((call) => ({ ...call })),
        overloaded: false,
        thoughts: [...thoughts.values()].map((thought) => ({ ...thought })),
      };
    },
  };
}

/**
 * The prompt of a Responses request: a string `input` is the prompt; otherwise the last input item
 * must be a user message (`type: "message"` or a bare `{role, content}`), whose string content or
 * `input_text` parts (joined by "\n") are the prompt.
 */
function userPrompt(input: unknown): string | null {
  if (typeof input === "string") return input;
  const last = obj(arr(input).at(-1));
  if (last?.role !== "user" || (last.type !== undefined && last.type !== "message")) return null;
  if (typeof last.content === "string") return last.content;
  const texts: string[] = [];
  for (const part of arr(last.content)) {
    const p = obj(part);
    if (p?.type === "input_text" && typeof p.text === "string") texts.push(p.text);
  }
  return texts.length > 0 ? texts.join("\n") : null;
}

/**
 * The `call_id` of a last `function_call_output` (or `custom_tool_call_output`, Codex's apply_patch)
 * input item: the tool call this request answers.
 */
function answeredToolCall(input: unknown): string | null {
  const last = obj(arr(input).at(-1));
  if (last?.type !== "function_call_output" && last?.type !== "custom_tool_call_output") return null;
  return str(last.call_id) || null;
}

/** OpenAI Responses (`POST /v1/responses`). */
export const responsesInterceptor: ApiInterceptor = {
  api: "responses",
  parseRequest(body) {
    const model = requireModel(body);
    if (typeof model !== "string") return model;
    return {
      model,
      stream: body.stream === true,
      prompt: userPrompt(body.input),
      correlationToolCallId: answeredToolCall(body.input),
    };
  },
  observe,
};
