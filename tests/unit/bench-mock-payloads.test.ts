import { describe, expect, test } from "bun:test";

import {
  ANSWER_PIECES,
  anthropicMessage,
  anthropicStreamEvents,
  openaiCompletion,
  openaiStreamEvents,
  USAGE,
} from "../../bench/mock/payloads.ts";

const ANSWER = ANSWER_PIECES.join("");

/** The JSON of one `data:` line per event (`[DONE]` kept as text). */
function dataOf(event: string): unknown {
  expect(event.endsWith("\n\n")).toBe(true);
  const data = event
    .trimEnd()
    .split("\n")
    .find((line) => line.startsWith("data: "))
    ?.slice("data: ".length);
  if (data === undefined) throw new Error(`no data line in ${event}`);
  return data === "[DONE]" ? data : JSON.parse(data);
}

describe("OpenAI chat completions", () => {
  test("the JSON body carries the id, the whole answer and the usage", () => {
    const body = JSON.parse(openaiCompletion("gpt-4o-mini").render("chatcmpl-7"));
    expect(body).toMatchObject({
      id: "chatcmpl-7",
      object: "chat.completion",
      model: "gpt-4o-mini",
      choices: [{ index: 0, message: { role: "assistant", content: ANSWER }, finish_reason: "stop" }],
      usage: {
        prompt_tokens: USAGE.input,
        completion_tokens: USAGE.output,
        total_tokens: USAGE.input + USAGE.output,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
  });

  test("with include_usage: role chunk, 26 deltas, finish chunk, usage chunk, [DONE]", () => {
    const events = openaiStreamEvents("m", true).map((t) => dataOf(t.render("chatcmpl-9")));
    expect(events).toHaveLength(1 + ANSWER_PIECES.length + 1 + 1 + 1);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1) as Array<{
      id: string;
      object: string;
      choices: unknown[];
      usage: unknown;
    }>;
    for (const chunk of chunks) {
      expect(chunk.id).toBe("chatcmpl-9");
      expect(chunk.object).toBe("chat.completion.chunk");
    }
    expect(chunks[0]?.choices).toEqual([
      {
        index: 0,
        delta: { role: "assistant", content: "", refusal: null },
        logprobs: null,
        finish_reason: null,
      },
    ]);
    const text = chunks
      .slice(1, 1 + ANSWER_PIECES.length)
      .map((c) => (c.choices[0] as { delta: { content: string } }).delta.content)
      .join("");
    expect(text).toBe(ANSWER);
    expect(chunks.at(-2)?.choices[0]).toMatchObject({ finish_reason: "stop" });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toMatchObject({
      prompt_tokens: USAGE.input,
      completion_tokens: USAGE.output,
    });
  });

  test("without include_usage there is no usage chunk and no usage field, as OpenAI does", () => {
    const events = openaiStreamEvents("m", false).map((t) => dataOf(t.render("x")));
    expect(events).toHaveLength(1 + ANSWER_PIECES.length + 1 + 1);
    for (const event of events.slice(0, -1)) expect(event).not.toHaveProperty("usage");
  });
});

describe("Anthropic messages", () => {
  test("the JSON body carries the id, the answer and the usage", () => {
    const body = JSON.parse(anthropicMessage("claude-sonnet-4-5").render("msg_1"));
    expect(body).toMatchObject({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: ANSWER }],
      stop_reason: "end_turn",
      usage: { input_tokens: USAGE.input, output_tokens: USAGE.output, cache_read_input_tokens: 0 },
    });
  });

  test("the stream has the event sequence of the Messages API, each `event:` matching its data type", () => {
    const rendered = anthropicStreamEvents("m").map((t) => t.render("msg_2"));
    const names = rendered.map((e) => /^event: (\S+)\n/.exec(e)?.[1]);
    expect(names).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      ...ANSWER_PIECES.map(() => "content_block_delta"),
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const data = rendered.map(dataOf) as Array<Record<string, unknown>>;
    expect(data.map((d) => d.type)).toEqual(names);
    expect(data[0]).toMatchObject({ message: { id: "msg_2", usage: { input_tokens: USAGE.input } } });
    const text = data
      .filter((d) => d.type === "content_block_delta")
      .map((d) => (d.delta as { text: string }).text)
      .join("");
    expect(text).toBe(ANSWER);
    expect(data.at(-2)).toMatchObject({
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: USAGE.output },
    });
  });
});
