/**
 * Wire-exact response bodies of the mock upstream: OpenAI chat completions and Anthropic messages,
 * each as one JSON body and as an SSE stream with usage. Everything but the response id is built
 * once at start, so serving costs a string concatenation.
 */

/** The assistant's answer, split into the text deltas of a stream. */
export const ANSWER_PIECES: readonly string[] = Array.from({ length: 26 }, (_, i) =>
  i === 0 ? "Word" : ` word${i}`,
);
const ANSWER = ANSWER_PIECES.join("");
const CREATED = 1_735_689_600;
const FINGERPRINT = "fp_bench0001";

export const USAGE = { input: 12, cached: 0, output: ANSWER_PIECES.length } as const;

/** A body with a placeholder for the id: `render` fills it per response. */
export interface Template {
  readonly render: (id: string) => string;
}

function template(build: (id: string) => string): Template {
  const MARK = "@@BENCH_RESPONSE_ID@@";
  const parts = build(MARK).split(MARK);
  if (parts.length !== 2) throw new Error("a template must hold the id exactly once");
  const [head = "", tail = ""] = parts;
  return { render: (id) => head + id + tail };
}

function openaiUsage(): object {
  return {
    prompt_tokens: USAGE.input,
    completion_tokens: USAGE.output,
    total_tokens: USAGE.input + USAGE.output,
    prompt_tokens_details: { cached_tokens: USAGE.cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export function openaiCompletion(model: string): Template {
  return template((id) =>
    JSON.stringify({
      id,
      object: "chat.completion",
      created: CREATED,
      model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: ANSWER, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: openaiUsage(),
      service_tier: "default",
      system_fingerprint: FINGERPRINT,
    }),
  );
}

/**
 * The events of a chat completion stream, `data: [DONE]` last. With `includeUsage` (the client's
 * `stream_options.include_usage`) every chunk carries `"usage": null` and a final chunk with empty
 * `choices` carries the usage, as OpenAI does.
 */
export function openaiStreamEvents(model: string, includeUsage: boolean): Template[] {
  const chunk = (id: string, choices: object[], usage?: object | null): string =>
    `data: ${JSON.stringify({
      id,
      object: "chat.completion.chunk",
      created: CREATED,
      model,
      service_tier: "default",
      system_fingerprint: FINGERPRINT,
      choices,
      ...(includeUsage ? { usage: usage ?? null } : {}),
    })}\n\n`;
  const choice = (delta: object, finish: string | null): object => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finish,
  });
  const events: Template[] = [
    template((id) => chunk(id, [choice({ role: "assistant", content: "", refusal: null }, null)])),
    ...ANSWER_PIECES.map((piece) => template((id) => chunk(id, [choice({ content: piece }, null)]))),
    template((id) => chunk(id, [choice({}, "stop")])),
  ];
  if (includeUsage) events.push(template((id) => chunk(id, [], openaiUsage())));
  events.push({ render: () => "data: [DONE]\n\n" });
  return events;
}

function anthropicUsage(outputTokens: number): object {
  return {
    input_tokens: USAGE.input,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: USAGE.cached,
    output_tokens: outputTokens,
    service_tier: "standard",
  };
}

export function anthropicMessage(model: string): Template {
  return template((id) =>
    JSON.stringify({
      id,
      type: "message",
      role: "assistant",
      model,
      content: [{ type: "text", text: ANSWER }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: anthropicUsage(USAGE.output),
    }),
  );
}

/** message_start, content_block_start, ping, 26 deltas, content_block_stop, message_delta, message_stop. */
export function anthropicStreamEvents(model: string): Template[] {
  const event = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  const fixed = (text: string): Template => ({ render: () => text });
  return [
    template((id) =>
      event("message_start", {
        type: "message_start",
        message: {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: anthropicUsage(1),
        },
      }),
    ),
    fixed(
      event("content_block_start", {
        type: "content_block_start",
        index: 0,
        content_block: { type: "text", text: "" },
      }),
    ),
    fixed(event("ping", { type: "ping" })),
    ...ANSWER_PIECES.map((text) =>
      fixed(
        event("content_block_delta", {
          type: "content_block_delta",
          index: 0,
          delta: { type: "text_delta", text },
        }),
      ),
    ),
    fixed(event("content_block_stop", { type: "content_block_stop", index: 0 })),
    fixed(
      event("message_delta", {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: USAGE.output },
      }),
    ),
    fixed(event("message_stop", { type: "message_stop" })),
  ];
}
