import type { SseEvent } from "../sse";
import { arr, collect, type Json, num, obj, parseJson, requireModel, str } from "./json";
import type { ApiInterceptor, ResponseObserver, TokenUsage, ToolCall } from "./types";

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
    inputTokens: input === null ? null : input - (cached ?? 0),
    outputTokens: num(usage.output_tokens),
    cacheReadInputTokens: cached,
    cacheWriteInputTokens: null,
    metadata,
  };
}

function toolCall(item: Json | undefined): ToolCall | null {
  if (item?.type === "function_call") {
    return {
      tool: str(item.name) ?? "",
      providerToolCallId: str(item.call_id) ?? "",
      input: str(item.arguments) ?? "",
    };
  }
  if (item?.type === "custom_tool_call") {
    return {
      tool: str(item.name) ?? "",
      providerToolCallId: str(item.call_id) ?? "",
      input: str(item.input) ?? "",
    };
  }
  return null;
}

function observe(): ResponseObserver {
  let id = "";
  let usage: Json | null = null;
  // Keyed by call id: the same call appears in output_item.done and again in response.completed.
  const calls = new Map<string, ToolCall>();
  const addOutput = (output: unknown) => {
    for (const item of arr(output)) {
      const call = toolCall(obj(item));
      if (call && !calls.has(call.providerToolCallId || `#${calls.size}`)) {
        calls.set(call.providerToolCallId || `#${calls.size}`, call);
      }
    }
  };
  const takeResponse = (response: Json | undefined) => {
    if (!response) return;
    id = str(response.id) ?? id;
    const u = obj(response.usage);
    if (u) usage = u;
    addOutput(response.output);
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
          id = str(obj(data.response)?.id) ?? id;
          break;
        case "response.output_item.done":
          addOutput([data.item]);
          break;
        case "response.completed":
        case "response.incomplete":
        case "response.failed":
          takeResponse(obj(data.response));
          break;
      }
    },
    result() {
      return { usage: usage ? toUsage(id, usage) : null, toolCalls: [...calls.values()], overloaded: false };
    },
  };
}

/** The last input item's text when it is the user's: a string input, or its `input_text` parts. */
function userPrompt(input: unknown): string | null {
  if (typeof input === "string") return input;
  const last = obj(arr(input).at(-1));
  if (last?.role !== "user" || (last.type !== undefined && last.type !== "message")) return null;
  if (typeof last.content === "string") return last.content;
  const texts = arr(last.content)
    .map(obj)
    .filter((p) => p?.type === "input_text" && typeof p.text === "string")
    .map((p) => p!.text as string);
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
