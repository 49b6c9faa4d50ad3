import { describe, expect, test } from "bun:test";

import { chatCompletionsInterceptor as api } from "../../src/bridge/intercept";
import {
  fixtureEvents,
  observeEvents,
  observeFixtureAtEverySplit,
  observeJson,
  observeJsonFixture,
  observeText,
} from "../fixtures/observe";
import { chatCompletion, chatStream } from "../helpers/provider-wire";

const zeroDetails = {
  prompt_audio: 0,
  completion_reasoning: 0,
  completion_audio: 0,
  completion_accepted_prediction: 0,
  completion_rejected_prediction: 0,
};
const chunk = (data: object) =>
  `data: ${JSON.stringify({ id: "chatcmpl-t", object: "chat.completion.chunk", ...data })}\n\n`;
const toolDelta = (choice: number, calls: object[]) =>
  chunk({ choices: [{ index: choice, delta: { tool_calls: calls }, finish_reason: null }] });

describe("OpenAI chat completions: streaming fixtures (identical at every chunk boundary)", () => {
  test("three parallel tool calls assembled from deltas; usage from the final chunk, cached tokens subtracted", () => {
    expect(observeFixtureAtEverySplit(api, "openai-chat/stream-parallel-tools.sse")).toEqual({
      usage: {
        providerResponseId: "chatcmpl-CQ7xkP3n2Yb8vLr5Tq1WmZ4sHj6Ud",
        inputTokens: 1843 - 1536,
        outputTokens: 71,
        cacheReadInputTokens: 1536,
        cacheWriteInputTokens: null,
        metadata: zeroDetails,
      },
      toolCalls: [
        {
          tool: "get_weather",
          providerToolCallId: "call_Xk2bV9pLm4QwR7tY1sZ8nC3d",
          input: '{"location": "São Paulo, BR"}',
        },
        {
          tool: "get_weather",
          providerToolCallId: "call_Rm7nQ2wE5tY8uI1oP4aS6dF9",
          input: '{"location": "東京, JP", "unit": "celsius"}',
        },
        { tool: "list_alerts", providerToolCallId: "call_Tz3cV6bN9mQ2wE5rT8yU1iO4", input: "{}" },
      ],
      overloaded: false,
      thoughts: [],
    });
  });

  test("text with reasoning tokens", () => {
    expect(observeFixtureAtEverySplit(api, "openai-chat/stream-reasoning-text.sse")).toEqual({
      usage: {
        providerResponseId: "chatcmpl-CQ8aR2mN5bV7cX9zL1kJ3hG6fD4",
        inputTokens: 2210 - 2048,
        outputTokens: 402,
        cacheReadInputTokens: 2048,
        cacheWriteInputTokens: null,
        metadata: { ...zeroDetails, completion_reasoning: 384 },
      },
      toolCalls: [],
      overloaded: false,
      thoughts: [],
    });
  });

  test("a stream without a usage chunk records no usage", () => {
    expect(observeFixtureAtEverySplit(api, "openai-chat/stream-no-usage.sse")).toEqual({
      usage: null,
      toolCalls: [],
      overloaded: false,
      thoughts: [],
    });
  });

  test("every prefix of a stream records what was seen, without throwing", () => {
    const events = fixtureEvents("openai-chat/stream-parallel-tools.sse");
    let calls = 0;
    for (let n = 0; n <= events.length; n++) {
      const seen = observeEvents(api, events.slice(0, n));
      expect(seen.usage === null).toBe(n < events.length - 1); // the usage chunk precedes [DONE]
      expect(seen.toolCalls.length).toBeGreaterThanOrEqual(calls);
      calls = seen.toolCalls.length;
    }
    expect(observeEvents(api, events.slice(0, 3)).toolCalls).toEqual([
      { tool: "get_weather", providerToolCallId: "call_Xk2bV9pLm4QwR7tY1sZ8nC3d", input: '{"location": "S' },
    ]);
  });
});

describe("OpenAI chat completions: non-streaming fixtures", () => {
  test("parallel function calls and a custom tool call", () => {
    expect(observeJsonFixture(api, "openai-chat/completion-parallel-tools.json")).toEqual({
      usage: {
        providerResponseId: "chatcmpl-CQAcU5oN7dW9yA1bT3eG6hJ8kL0",
        inputTokens: 912 - 768,
        outputTokens: 95,
        cacheReadInputTokens: 768,
        cacheWriteInputTokens: null,
        metadata: zeroDetails,
      },
      toolCalls: [
        {
          tool: "read_file",
          providerToolCallId: "call_Pa1sD2fG3hJ4kL5zX6cV7bN8",
          input: '{"path":"src/index.ts"}',
        },
        {
          tool: "read_file",
          providerToolCallId: "call_Qw9eR8tY7uI6oP5aS4dF3gH2",
          input: '{"path":"package.json"}',
        },
        {
          tool: "apply_patch",
          providerToolCallId: "call_Cu5tOmToOl1nPuT9aP4tCh3s",
          input: "*** Begin Patch\n*** Update File: README.md\n@@\n-old\n+new\n*** End Patch",
        },
      ],
      overloaded: false,
      thoughts: [],
    });
  });

  test("every extra token type under its reference name", () => {
    expect(observeJsonFixture(api, "openai-chat/completion-text-audio.json")).toEqual({
      usage: {
        providerResponseId: "chatcmpl-CQBdV6pO8eX0zB2cU4fH7iK9lM1",
        inputTokens: 57,
        outputTokens: 31,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: null,
        metadata: {
          prompt_audio: 12,
          completion_reasoning: 0,
          completion_audio: 9,
          completion_accepted_prediction: 4,
          completion_rejected_prediction: 2,
        },
      },
      toolCalls: [],
      overloaded: false,
      thoughts: [],
    });
  });

  test("absent fields are null, never zero; no usage → null; only present detail keys", () => {
    expect(observeJson(api, { id: "c1", usage: { completion_tokens: 3 } }).usage).toEqual({
      providerResponseId: "c1",
      inputTokens: null,
      outputTokens: 3,
      cacheReadInputTokens: null,
      cacheWriteInputTokens: null,
      metadata: {},
    });
    expect(
      observeJson(api, {
        id: "c2",
        usage: { prompt_tokens: 10, completion_tokens_details: { reasoning_tokens: 4 } },
      }).usage,
    ).toMatchObject({ inputTokens: 10, cacheReadInputTokens: null, metadata: { completion_reasoning: 4 } });
    expect(observeJson(api, { id: "c3", choices: [] }).usage).toBeNull();
    expect(observeJson(api, { id: "c4", usage: null }).usage).toBeNull();
  });
});

describe("OpenAI chat completions: streaming rules", () => {
  test("usage is last-wins, not summed", () => {
    const text =
      chunk({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } }) +
      chunk({ choices: [], usage: null }) +
      chunk({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 5 } }) +
      chunk({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 5 } }) +
      "data: [DONE]\n\n";
    expect(observeText(api, text).usage).toEqual({
      providerResponseId: "chatcmpl-t",
      inputTokens: 9,
      outputTokens: 5,
      cacheReadInputTokens: null,
      cacheWriteInputTokens: null,
      metadata: {},
    });
  });

  test("id and name come from the first delta of each call; later repeats do not replace them", () => {
    const text =
      toolDelta(0, [
        { index: 0, id: "call_a", type: "function", function: { name: "first", arguments: "" } },
      ]) +
      toolDelta(0, [{ index: 0, id: "", function: { name: "", arguments: '{"a":' } }]) +
      toolDelta(0, [{ index: 0, id: "call_other", function: { name: "other", arguments: "1}" } }]);
    expect(observeText(api, text).toolCalls).toEqual([
      { tool: "first", providerToolCallId: "call_a", input: '{"a":1}' },
    ]);
  });

  test("several calls in one delta, across several choices, each keyed by (choice, index)", () => {
    const text =
      toolDelta(0, [
        { index: 0, id: "c0", type: "function", function: { name: "a", arguments: "{" } },
        { index: 1, id: "c1", type: "function", function: { name: "b", arguments: "{" } },
      ]) +
      toolDelta(1, [{ index: 0, id: "d0", type: "function", function: { name: "a", arguments: "{}" } }]) +
      toolDelta(0, [
        { index: 1, function: { arguments: "}" } },
        { index: 0, function: { arguments: "}" } },
      ]);
    expect(observeText(api, text).toolCalls).toEqual([
      { tool: "a", providerToolCallId: "c0", input: "{}" },
      { tool: "b", providerToolCallId: "c1", input: "{}" },
      { tool: "a", providerToolCallId: "d0", input: "{}" },
    ]);
  });

  test("a first delta that already holds the arguments; a missing index counts as 0", () => {
    const text =
      toolDelta(0, [{ id: "c0", type: "function", function: { name: "now", arguments: "{}" } }]) +
      toolDelta(0, [{ index: 1, id: "c1", type: "function", function: { name: "x", arguments: '{"k":1}' } }]);
    expect(observeText(api, text).toolCalls).toEqual([
      { tool: "now", providerToolCallId: "c0", input: "{}" },
      { tool: "x", providerToolCallId: "c1", input: '{"k":1}' },
    ]);
  });

  test("streamed custom tool calls", () => {
    const text =
      toolDelta(0, [
        { index: 0, id: "ct", type: "custom", custom: { name: "apply_patch", input: "*** Begin" } },
      ]) + toolDelta(0, [{ index: 0, custom: { input: " Patch" } }]);
    expect(observeText(api, text).toolCalls).toEqual([
      { tool: "apply_patch", providerToolCallId: "ct", input: "*** Begin Patch" },
    ]);
  });

  test("malformed chunks and an in-stream error object are ignored without throwing", () => {
    const text = [
      "data: not json\n\n",
      "data: [1]\n\n",
      'data: {"error":{"message":"The server had an error","type":"server_error"}}\n\n',
      'data: {"id":"x","choices":"no"}\n\n',
      'data: {"id":"x","choices":[null,{"delta":null},{"delta":{"tool_calls":[null,5]}}]}\n\n',
      'data: {"id":"x","choices":[],"usage":[1,2]}\n\n',
      "data: [DONE]\n\n",
    ].join("");
    expect(observeText(api, text)).toMatchObject({ usage: null, overloaded: false });
    for (const body of [null, 1, "x", [], {}, { choices: [{ message: { tool_calls: [null, 1] } }] }]) {
      expect(() => observeJson(api, body)).not.toThrow();
    }
  });
});

describe("OpenAI chat completions: the mock upstream's wire builders agree", () => {
  const u = {
    prompt_tokens: 100,
    completion_tokens: 20,
    total_tokens: 120,
    prompt_tokens_details: { cached_tokens: 60, audio_tokens: 2 },
    completion_tokens_details: {
      reasoning_tokens: 8,
      audio_tokens: 1,
      accepted_prediction_tokens: 3,
      rejected_prediction_tokens: 4,
    },
  };
  const calls = [
    { id: "call_1", name: "a", arguments: '{"x":1,"long":"abcdefghijklmnop"}' },
    { id: "call_2", name: "b", arguments: "{}" },
  ];
  const expected = {
    usage: {
      providerResponseId: "chatcmpl-9",
      inputTokens: 40,
      outputTokens: 20,
      cacheReadInputTokens: 60,
      cacheWriteInputTokens: null,
      metadata: {
        prompt_audio: 2,
        completion_reasoning: 8,
        completion_audio: 1,
        completion_accepted_prediction: 3,
        completion_rejected_prediction: 4,
      },
    },
    toolCalls: calls.map((c) => ({ tool: c.name, providerToolCallId: c.id, input: c.arguments })),
    overloaded: false,
    thoughts: [],
  };

  test("blocking and streaming", () => {
    expect(observeJson(api, chatCompletion(null, calls, u, "chatcmpl-9"))).toEqual(expected);
    expect(observeText(api, chatStream("ok", calls, u, "chatcmpl-9"))).toEqual(expected);
    expect(observeText(api, chatStream("x", [], null)).usage).toBeNull();
  });
});

describe("OpenAI chat completions: stream_options.include_usage", () => {
  const rewrite = api.rewriteRequest!;

  test("forced on for streaming requests, keeping the other stream options", () => {
    expect(rewrite({ model: "m", stream: true })).toEqual({
      model: "m",
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(
      rewrite({
        model: "m",
        stream: true,
        stream_options: { include_usage: false, include_obfuscation: false },
      }),
    ).toEqual({
      model: "m",
      stream: true,
      stream_options: { include_usage: true, include_obfuscation: false },
    });
    expect(rewrite({ model: "m", stream: true, stream_options: null })).toEqual({
      model: "m",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test("no change when already on, or not streaming", () => {
    expect(rewrite({ model: "m", stream: true, stream_options: { include_usage: true } })).toBeNull();
    expect(rewrite({ model: "m", stream: false })).toBeNull();
    expect(rewrite({ model: "m", stream: "true" })).toBeNull();
    expect(rewrite({ model: "m" })).toBeNull();
  });

  test("the client's body object is not mutated", () => {
    const body = { model: "m", stream: true, stream_options: { include_usage: false } };
    rewrite(body);
    expect(body).toEqual({ model: "m", stream: true, stream_options: { include_usage: false } });
  });
});

describe("OpenAI chat completions: request facts", () => {
  const parse = (messages: unknown, extra: Record<string, unknown> = {}) =>
    api.parseRequest({ model: "gpt-4.1", messages, ...extra });

  test("model, stream and a string prompt", () => {
    expect(
      parse(
        [
          { role: "system", content: "s" },
          { role: "user", content: "q" },
        ],
        { stream: true },
      ),
    ).toEqual({ model: "gpt-4.1", stream: true, prompt: "q", correlationToolCallId: null });
  });

  test("the last text part of a content array", () => {
    const content = [
      { type: "text", text: "a" },
      { type: "image_url", image_url: { url: "data:" } },
      { type: "text", text: "b" },
      { type: "input_audio", input_audio: { data: "", format: "wav" } },
    ];
    expect(parse([{ role: "user", content }])).toMatchObject({ prompt: "b" });
    expect(parse([{ role: "user", content: [{ type: "image_url" }] }])).toMatchObject({ prompt: null });
  });

  test("no prompt when the last message is a tool result, the assistant's, or absent", () => {
    expect(
      parse([
        { role: "user", content: "q" },
        { role: "assistant", content: null, tool_calls: [] },
        { role: "tool", content: "r", tool_call_id: "c" },
      ]),
    ).toMatchObject({ prompt: null });
    expect(parse([{ role: "assistant", content: "a" }])).toMatchObject({ prompt: null });
    expect(parse([])).toMatchObject({ prompt: null });
    expect(parse(undefined)).toMatchObject({ prompt: null });
  });

  test("a missing or non-string model is an error", () => {
    for (const model of [undefined, "", 4, null, ["gpt-4o"]]) {
      expect(api.parseRequest({ model, messages: [] })).toHaveProperty("error");
    }
  });
});
