import { describe, expect, test } from "bun:test";

import {
  chatCompletionsInterceptor,
  messagesInterceptor,
  responsesInterceptor,
} from "../../src/bridge/intercept";
import type { ApiInterceptor, ObservedResponse } from "../../src/bridge/intercept/types";
import { SseParser } from "../../src/bridge/sse";
import {
  anthropicMessage,
  anthropicStream,
  chatCompletion,
  chatStream,
  responsesObject,
  responsesStream,
} from "../helpers/provider-wire";

const encoder = new TextEncoder();

/** Replays an SSE body through the parser in chunks of `size` bytes. */
function fromStream(api: ApiInterceptor, text: string, size = 0): ObservedResponse {
  const observer = api.observe();
  const parser = new SseParser((e) => observer.onEvent(e));
  const bytes = encoder.encode(text);
  if (size === 0) parser.push(bytes);
  else for (let i = 0; i < bytes.length; i += size) parser.push(bytes.slice(i, i + size));
  parser.end();
  return observer.result();
}

function fromJson(api: ApiInterceptor, body: unknown): ObservedResponse {
  const observer = api.observe();
  observer.onJson(body);
  return observer.result();
}

function sameAtEveryChunkSize(api: ApiInterceptor, text: string): ObservedResponse {
  const whole = fromStream(api, text);
  for (const size of [1, 2, 3, 5, 8, 13, 64]) expect(fromStream(api, text, size)).toEqual(whole);
  return whole;
}

describe("Anthropic Messages", () => {
  const usage = {
    input_tokens: 12,
    output_tokens: 40,
    cache_read_input_tokens: 1000,
    cache_creation_input_tokens: 200,
    cache_creation: { ephemeral_5m_input_tokens: 150, ephemeral_1h_input_tokens: 50 },
    server_tool_use: { web_search_requests: 3 },
  };
  const blocks = [
    { type: "thinking" as const, thinking: "hmm" },
    { type: "text" as const, text: "Reading both ✓" },
    { type: "tool_use" as const, id: "toolu_1", name: "Read", input: { path: "/a" } },
    { type: "tool_use" as const, id: "toolu_2", name: "Bash", input: { command: "ls -la", timeout: 5 } },
  ];
  const expectedTools = [
    { tool: "Read", providerToolCallId: "toolu_1", input: '{"path":"/a"}' },
    { tool: "Bash", providerToolCallId: "toolu_2", input: '{"command":"ls -la","timeout":5}' },
  ];
  const expectedUsage = {
    providerResponseId: "msg_x",
    inputTokens: 12,
    outputTokens: 40,
    cacheReadInputTokens: 1000,
    cacheWriteInputTokens: 200,
    metadata: { cache_ephemeral_5m_input: 150, cache_ephemeral_1h_input: 50, web_search_requests: 3 },
  };

  test("blocking: usage with cache and extra token types, every tool_use", () => {
    expect(fromJson(messagesInterceptor, anthropicMessage(blocks, usage, "msg_x"))).toEqual({
      usage: expectedUsage,
      toolCalls: expectedTools,
      overloaded: false,
    });
  });
  test("streaming: input and cache from message_start, output from the last message_delta", () => {
    const { output_tokens: _, ...start } = usage;
    const text = anthropicStream(blocks, { ...start, output_tokens: 1 }, { output_tokens: 40 }, "msg_x");
    expect(sameAtEveryChunkSize(messagesInterceptor, text)).toEqual({
      usage: expectedUsage,
      toolCalls: expectedTools,
      overloaded: false,
    });
  });
  test("a later message_delta carrying input and cache totals wins; a repeated snapshot counts once", () => {
    const delta = (u: object) =>
      `event: message_delta\ndata: ${JSON.stringify({ type: "message_delta", delta: {}, usage: u })}\n\n`;
    const text =
      anthropicStream([], { input_tokens: 5, output_tokens: 1 }, { output_tokens: 2 }, "m") +
      delta({ input_tokens: 7, cache_read_input_tokens: 9, output_tokens: 3 }) +
      delta({ input_tokens: 7, cache_read_input_tokens: 9, output_tokens: 3 });
    const { usage: u } = fromStream(messagesInterceptor, text);
    expect(u).toMatchObject({
      inputTokens: 7,
      outputTokens: 3,
      cacheReadInputTokens: 9,
      cacheWriteInputTokens: null,
    });
  });
  test("a tool_use with no input deltas records {}; no usage → null; overloaded_error is seen", () => {
    const text = [
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"Now","input":{}}}\n\n',
      'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    ].join("");
    expect(fromStream(messagesInterceptor, text)).toEqual({
      usage: null,
      toolCalls: [{ tool: "Now", providerToolCallId: "t", input: "{}" }],
      overloaded: true,
    });
    expect(
      fromStream(messagesInterceptor, 'event: error\ndata: {"type":"error","error":{"type":"api_error"}}\n\n')
        .overloaded,
    ).toBe(false);
  });
  test("request: model, stream and the last user prompt", () => {
    const parse = (body: Record<string, unknown>) => messagesInterceptor.parseRequest(body);
    expect(parse({ model: "c", messages: [{ role: "user", content: "hi" }] })).toEqual({
      model: "c",
      stream: false,
      prompt: "hi",
    });
    expect(
      parse({
        model: "c",
        stream: true,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "a" },
              { type: "image" },
              { type: "text", text: "b" },
              { type: "image" },
            ],
          },
        ],
      }),
    ).toEqual({ model: "c", stream: true, prompt: "b" });
    expect(
      parse({
        model: "c",
        messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "x" }] }],
      }),
    ).toMatchObject({ prompt: null });
    expect(
      parse({
        model: "c",
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: "a" },
        ],
      }),
    ).toMatchObject({ prompt: null });
    expect(parse({ model: "c" })).toMatchObject({ prompt: null });
    expect(parse({ messages: [] })).toHaveProperty("error");
    expect(parse({ model: "" })).toHaveProperty("error");
    expect(parse({ model: ["x"] })).toHaveProperty("error");
  });
});

describe("OpenAI chat completions", () => {
  const usage = {
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
  const expectedUsage = {
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
  };
  const calls = [
    { id: "call_1", name: "a", arguments: '{"x":1,"long":"abcdefghijklmnop"}' },
    { id: "call_2", name: "b", arguments: "{}" },
  ];
  const expectedCalls = calls.map((c) => ({ tool: c.name, providerToolCallId: c.id, input: c.arguments }));

  test("blocking", () => {
    expect(fromJson(chatCompletionsInterceptor, chatCompletion(null, calls, usage, "chatcmpl-9"))).toEqual({
      usage: expectedUsage,
      toolCalls: expectedCalls,
      overloaded: false,
    });
  });
  test("streaming: parallel tool-call deltas assembled by index; usage from the final chunk", () => {
    expect(
      sameAtEveryChunkSize(chatCompletionsInterceptor, chatStream("ok", calls, usage, "chatcmpl-9")),
    ).toEqual({ usage: expectedUsage, toolCalls: expectedCalls, overloaded: false });
  });
  test("usage last wins (not summed); absent cached tokens are absent, not zero", () => {
    const twice =
      chatStream("", [], { prompt_tokens: 1, completion_tokens: 1 }, "c").replace("data: [DONE]\n\n", "") +
      chatStream("", [], { prompt_tokens: 9, completion_tokens: 5 }, "c");
    expect(fromStream(chatCompletionsInterceptor, twice).usage).toEqual({
      providerResponseId: "c",
      inputTokens: 9,
      outputTokens: 5,
      cacheReadInputTokens: null,
      cacheWriteInputTokens: null,
      metadata: {},
    });
    expect(fromStream(chatCompletionsInterceptor, chatStream("x", [], null)).usage).toBeNull();
  });
  test("stream_options.include_usage is forced on for streaming requests only", () => {
    const rewrite = chatCompletionsInterceptor.rewriteRequest!;
    expect(rewrite({ model: "m", stream: true })).toEqual({
      model: "m",
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(rewrite({ model: "m", stream: true, stream_options: { include_usage: false, other: 1 } })).toEqual(
      { model: "m", stream: true, stream_options: { include_usage: true, other: 1 } },
    );
    expect(rewrite({ model: "m", stream: true, stream_options: { include_usage: true } })).toBeNull();
    expect(rewrite({ model: "m", stream: false })).toBeNull();
    expect(rewrite({ model: "m" })).toBeNull();
  });
  test("request prompt: string content, last text part, or null", () => {
    const parse = (messages: unknown[]) => chatCompletionsInterceptor.parseRequest({ model: "m", messages });
    expect(
      parse([
        { role: "system", content: "s" },
        { role: "user", content: "q" },
      ]),
    ).toEqual({ model: "m", stream: false, prompt: "q" });
    expect(
      parse([
        {
          role: "user",
          content: [{ type: "text", text: "a" }, { type: "image_url" }, { type: "text", text: "b" }],
        },
      ]),
    ).toMatchObject({ prompt: "b" });
    expect(
      parse([
        { role: "user", content: "q" },
        { role: "tool", content: "r", tool_call_id: "c" },
      ]),
    ).toMatchObject({ prompt: null });
    expect(parse([])).toMatchObject({ prompt: null });
  });
});

describe("OpenAI Responses", () => {
  const usage = {
    input_tokens: 500,
    input_tokens_details: { cached_tokens: 450 },
    output_tokens: 30,
    output_tokens_details: { reasoning_tokens: 20 },
    total_tokens: 530,
  };
  const calls = [
    { callId: "call_a", name: "shell", arguments: '{"cmd":["ls"]}' },
    { callId: "call_b", name: "apply_patch", arguments: '{"patch":"*** Begin Patch"}' },
  ];
  const expected = {
    usage: {
      providerResponseId: "resp_7",
      inputTokens: 50,
      outputTokens: 30,
      cacheReadInputTokens: 450,
      cacheWriteInputTokens: null,
      metadata: { output_reasoning: 20, total_tokens: 530 },
    },
    toolCalls: calls.map((c) => ({ tool: c.name, providerToolCallId: c.callId, input: c.arguments })),
    overloaded: false,
  };
  test("blocking and streaming agree; a call seen in output_item.done and response.completed counts once", () => {
    expect(fromJson(responsesInterceptor, responsesObject("t", calls, usage, "resp_7"))).toEqual(expected);
    expect(sameAtEveryChunkSize(responsesInterceptor, responsesStream("t", calls, usage, "resp_7"))).toEqual(
      expected,
    );
  });
  test("custom tool calls and incomplete responses are recorded", () => {
    const body = {
      ...responsesObject(null, [], { input_tokens: 3, output_tokens: 2 }, "resp_i", "incomplete"),
      output: [{ type: "custom_tool_call", call_id: "ct1", name: "apply_patch", input: "*** Begin Patch" }],
    };
    const text = `event: response.incomplete\ndata: ${JSON.stringify({ type: "response.incomplete", response: body })}\n\n`;
    expect(fromStream(responsesInterceptor, text)).toEqual({
      usage: {
        providerResponseId: "resp_i",
        inputTokens: 3,
        outputTokens: 2,
        cacheReadInputTokens: null,
        cacheWriteInputTokens: null,
        metadata: {},
      },
      toolCalls: [{ tool: "apply_patch", providerToolCallId: "ct1", input: "*** Begin Patch" }],
      overloaded: false,
    });
  });
  test("request prompt: string input, user message input_text parts joined, else null", () => {
    const parse = (input: unknown) => responsesInterceptor.parseRequest({ model: "m", input });
    expect(parse("hello")).toEqual({ model: "m", stream: false, prompt: "hello" });
    expect(
      parse([
        {
          type: "message",
          role: "user",
          content: [
            { type: "input_text", text: "a" },
            { type: "input_image" },
            { type: "input_text", text: "b" },
          ],
        },
      ]),
    ).toMatchObject({ prompt: "a\nb" });
    expect(parse([{ role: "user", content: "bare" }])).toMatchObject({ prompt: "bare" });
    expect(
      parse([
        { role: "user", content: "q" },
        { type: "function_call_output", call_id: "c", output: "o" },
      ]),
    ).toMatchObject({ prompt: null });
    expect(parse([{ role: "developer", content: "d" }])).toMatchObject({ prompt: null });
    expect(parse(undefined)).toMatchObject({ prompt: null });
  });
});
