import type { SseEvent } from "../sse";
import { arr, collect, type Json, lastText, num, obj, parseJson, requireModel, str } from "./json";
import type { ApiInterceptor, ResponseObserver, TokenUsage, ToolCall } from "./types";

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
    inputTokens: promptTokens === null ? null : promptTokens - (cached ?? 0),
    outputTokens: num(usage.completion_tokens),
    cacheReadInputTokens: cached,
    cacheWriteInputTokens: null,
    metadata,
  };
}

function observe(): ResponseObserver {
  let id = "";
  let usage: Json | null = null;
  const finished: ToolCall[] = [];
  // Streamed tool calls arrive as deltas keyed by (choice, tool index).
  const streamed = new Map<string, { order: number; id: string; name: string; args: string }>();

  return {
    onJson(body) {
      const completion = obj(body);
      if (!completion) return;
      id = str(completion.id) ?? "";
      usage = obj(completion.usage) ?? null;
      for (const choice of arr(completion.choices)) {
        for (const call of arr(obj(obj(choice)?.message)?.tool_calls)) {
          const c = obj(call);
          const fn = obj(c?.function);
          const custom = obj(c?.custom);
          finished.push({
            tool: str(fn?.name) ?? str(custom?.name) ?? "",
            providerToolCallId: str(c?.id) ?? "",
            input: str(fn?.arguments) ?? str(custom?.input) ?? "",
          });
        }
      }
    },
    onEvent(event: SseEvent) {
      if (event.data === "[DONE]") return;
      const chunk = parseJson(event.data);
      if (!chunk) return;
      id = str(chunk.id) ?? id;
      // Last snapshot wins: a usage chunk repeated is counted once.
      const u = obj(chunk.usage);
      if (u) usage = u;
      for (const choice of arr(chunk.choices)) {
        const ch = obj(choice);
        const choiceIndex = num(ch?.index) ?? 0;
        for (const call of arr(obj(ch?.delta)?.tool_calls)) {
          const c = obj(call);
          const key = `${choiceIndex}:${num(c?.index) ?? 0}`;
          let entry = streamed.get(key);
          if (!entry) {
            entry = { order: streamed.size, id: "", name: "", args: "" };
            streamed.set(key, entry);
          }
          const fn = obj(c?.function);
          entry.id = str(c?.id) || entry.id;
          entry.name = str(fn?.name) || entry.name;
          entry.args += str(fn?.arguments) ?? "";
        }
      }
    },
    result() {
      const fromStream = [...streamed.values()]
        .sort((a, b) => a.order - b.order)
        .map((t) => ({ tool: t.name, providerToolCallId: t.id, input: t.args }));
      return {
        usage: usage ? toUsage(id, usage) : null,
        toolCalls: [...finished, ...fromStream],
        overloaded: false,
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
    };
  },
  // SPEC §8.1: the one allowed body change, so streaming usage is always known.
  rewriteRequest(body) {
    if (body.stream !== true) return null;
    const options = obj(body.stream_options);
    if (options?.include_usage === true) return null;
    return { ...body, stream_options: { ...options, include_usage: true } };
  },
  observe,
};
