import type { SseEvent } from "../sse";
import { arr, collect, type Json, num, obj, parseJson, requireModel, str } from "./json";
import type { ApiInterceptor, ObservedResponse, ResponseObserver, TokenUsage, ToolCall } from "./types";

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

function observe(): ResponseObserver {
  let id = "";
  let usage: Json | null = null;
  // Map order is the order the calls first appeared in; a later, more complete sighting replaces.
  const calls = new Map<string, ToolCall>();

  const takeItem = (item: Json | undefined, outputIndex: unknown) => {
    const call = toolCall(item);
    if (call) calls.set(itemKey(item, outputIndex), call);
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

/** OpenAI Responses (`POST /v1/responses`). */
export const responsesInterceptor: ApiInterceptor = {
  api: "responses",
  parseRequest(body) {
    const model = requireModel(body);
    if (typeof model !== "string") return model;
    return { model, stream: body.stream === true, prompt: userPrompt(body.input) };
  },
  observe,
};
