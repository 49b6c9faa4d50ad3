import type { SseEvent } from "../sse";
import { arr, collect, type Json, lastText, num, obj, parseJson, requireModel, str } from "./json";
import type { ApiInterceptor, ObservedResponse, ResponseObserver, TokenUsage, ToolCall } from "./types";

function toUsage(id: string, usage: Json): TokenUsage {
  const prompt = obj(usage.prompt_tokens_details);
  const completion = obj(usage.completion_tokens_details);
  const promptTokens = num(usage.prompt_tokens);
  const cached = num(prompt?.cached_tokens);
  const metadata: Record<string, number> = {};
  collect(metadata, [
    ["prompt_audio", prompt?.audio_tokens],
    ["completion_reasoning", completion?.reasoning_tokens],
    ["completion_audio", completion?.audio_tokens],
    ["completion_accepted_prediction", completion?.accepted_prediction_tokens],
    ["completion_rejected_prediction", completion?.rejected_prediction_tokens],
  ]);
  return {
    providerResponseId: id,
    // prompt_tokens includes the cached ones; the uncached remainder is the input.
    inputTokens: promptTokens === null ? null : promptTokens - (cached ?? 0),
    outputTokens: num(usage.completion_tokens),
    cacheReadInputTokens: cached,
    cacheWriteInputTokens: null,
    metadata,
  };
}

/** A function call (`function.name`/`function.arguments`) or a custom tool call (`custom.name`/`custom.input`). */
function toolParts(call: Json | undefined): { name: string | undefined; input: string | undefined } {
  const fn = obj(call?.function);
  const custom = obj(call?.custom);
  return { name: str(fn?.name) ?? str(custom?.name), input: str(fn?.arguments) ?? str(custom?.input) };
}

/** A tool call streamed as deltas: id, type and name come with the first delta, arguments in pieces. */
interface StreamedCall {
  id: string;
  name: string;
  input: string;
}

function observe(): ResponseObserver {
  let id = "";
  let usage: Json | null = null;
  const completed: ToolCall[] = [];
  // Keyed by choice index and tool-call index; Map order is the order the calls started in.
  const streamed = new Map<string, StreamedCall>();

  return {
    onJson(body) {
      const completion = obj(body);
      if (!completion) return;
      id = str(completion.id) ?? "";
      usage = obj(completion.usage) ?? null;
      for (const choice of arr(completion.choices)) {
        for (const call of arr(obj(obj(choice)?.message)?.tool_calls)) {
          const c = obj(call);
          const { name, input } = toolParts(c);
          completed.push({ tool: name ?? "", providerToolCallId: str(c?.id) ?? "", input: input ?? "" });
        }
      }
    },

    onEvent(event: SseEvent) {
      if (event.data === "[DONE]") return;
      const chunk = parseJson(event.data);
      if (!chunk) return;
      id = str(chunk.id) || id;
      // Every chunk carries `"usage": null` until the final one; a repeated snapshot replaces, never adds.
      const snapshot = obj(chunk.usage);
      if (snapshot) usage = snapshot;
      for (const choice of arr(chunk.choices)) {
        const ch = obj(choice);
        const choiceIndex = num(ch?.index) ?? 0;
        for (const call of arr(obj(ch?.delta)?.tool_calls)) {
          const c = obj(call);
          const key = `${choiceIndex}:${num(c?.index) ?? 0}`;
          const { name, input } = toolParts(c);
          const entry = streamed.get(key);
          if (!entry) {
            streamed.set(key, { id: str(c?.id) ?? "", name: name ?? "", input: input ?? "" });
            continue;
          }
          entry.id ||= str(c?.id) ?? "";
          entry.name ||= name ?? "";
          entry.input += input ?? "";
        }
      }
    },

    result(): ObservedResponse {
      const fromStream = [...streamed.values()].map((t) => ({
        tool: t.name,
        providerToolCallId: t.id,
        input: t.input,
      }));
      return {
        usage: usage ? toUsage(id, usage) : null,
        toolCalls: [...completed, ...fromStream],
        overloaded: false,
        // Chat completions show no reasoning text in the official API.
        thoughts: [],
      };
    },
  };
}

/** OpenAI chat completions (`POST /v1/chat/completions`). */
export const chatCompletionsInterceptor: ApiInterceptor = {
  api: "chat-completions",
  parseRequest(body) {
    const model = requireModel(body);
    if (typeof model !== "string") return model;
    const last = obj(arr(body.messages).at(-1));
    return {
      model,
      stream: body.stream === true,
      prompt: last?.role === "user" ? lastText(last.content) : null,
      // After parallel calls, one `role: tool` message answers each; the last one links the thread.
      correlationToolCallId: last?.role === "tool" ? str(last.tool_call_id) || null : null,
    };
  },
  // SPEC §8.1: the one allowed body change, so that streaming usage is always known.
  rewriteRequest(body) {
    if (body.stream !== true) return null;
    const options = obj(body.stream_options);
    if (options?.include_usage === true) return null;
    return { ...body, stream_options: { ...options, include_usage: true } };
  },
  observe,
};
