import { describe, expect, test } from "bun:test";

import { messagesInterceptor as api } from "../../src/bridge/intercept";
import {
  fixtureEvents,
  observeEvents,
  observeFixtureAtEverySplit,
  observeJson,
  observeJsonFixture,
  observeText,
} from "../fixtures/observe";
import { anthropicMessage, anthropicStream } from "../helpers/provider-wire";

const sse = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const usage = (fields: Partial<Record<string, unknown>> & { providerResponseId: string }) => ({
  inputTokens: null,
  outputTokens: null,
  cacheReadInputTokens: null,
  cacheWriteInputTokens: null,
  metadata: {},
  ...fields,
});

describe("Anthropic Messages: streaming fixtures (identical at every chunk boundary)", () => {
  test("extended thinking, text and two parallel tool_use blocks, cache write and read", () => {
    expect(observeFixtureAtEverySplit(api, "anthropic/stream-thinking-parallel-tools.sse")).toEqual({
      usage: usage({
        providerResponseId: "msg_01XFDUDYJgAACzvnptvVoYEL",
        inputTokens: 3,
        outputTokens: 187, // the last message_delta, not message_start's provisional 8
        cacheReadInputTokens: 14227,
        cacheWriteInputTokens: 1871,
        metadata: { cache_ephemeral_5m_input: 1871, cache_ephemeral_1h_input: 0 },
      }),
      toolCalls: [
        {
          tool: "Read",
          providerToolCallId: "toolu_01A09q90qw90lq917835lq9",
          input: '{"file_path": "/home/dev/project/config.toml"}',
        },
        {
          tool: "Read",
          providerToolCallId: "toolu_01Bv8nGqE3yF6tq1XkR2mZ7p",
          input: '{"file_path": "/home/dev/project/README.md", "limit": 200}',
        },
      ],
      overloaded: false,
      thoughts: [
        {
          content:
            "The user wants the config and the README compared. I can read both files in parallel — neither read depends on the other.",
          source: "thinking",
        },
      ],
    });
  });

  test("message_delta carrying input/cache totals and web search count (newer API); server_tool_use is not a tool call; a no-argument tool records {}", () => {
    expect(observeFixtureAtEverySplit(api, "anthropic/stream-web-search-delta-usage.sse")).toEqual({
      usage: usage({
        providerResponseId: "msg_01Hq2KJm8wPuV3tNn5rXcY4d",
        inputTokens: 10682, // message_delta's total replaces message_start's 2679
        outputTokens: 510,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 0,
        metadata: { cache_ephemeral_5m_input: 0, cache_ephemeral_1h_input: 0, web_search_requests: 1 },
      }),
      toolCalls: [
        { tool: "current_time", providerToolCallId: "toolu_01NowNoArgs7dQ2vY5xKe3Lp", input: "{}" },
      ],
      overloaded: false,
      thoughts: [],
    });
  });

  test("an overloaded_error event mid-stream is reported; usage seen before it is kept", () => {
    expect(observeFixtureAtEverySplit(api, "anthropic/stream-overloaded.sse")).toEqual({
      usage: usage({
        providerResponseId: "msg_01Ov3rL0aD3dStr34mXyZ9ab",
        inputTokens: 412,
        outputTokens: 1,
        cacheReadInputTokens: 20480,
        cacheWriteInputTokens: 0,
        metadata: { cache_ephemeral_5m_input: 0, cache_ephemeral_1h_input: 0 },
      }),
      toolCalls: [],
      overloaded: true,
      thoughts: [],
    });
  });

  test("every prefix of a stream (a client that went away) records what was seen, without throwing", () => {
    const events = fixtureEvents("anthropic/stream-thinking-parallel-tools.sse");
    let calls = 0;
    for (let n = 0; n <= events.length; n++) {
      const seen = observeEvents(api, events.slice(0, n));
      expect(seen.usage === null).toBe(n === 0);
      expect(seen.toolCalls.length).toBeGreaterThanOrEqual(calls);
      calls = seen.toolCalls.length;
    }
    expect(calls).toBe(2);
    // cut inside the second tool's arguments: its partial JSON is what the model had emitted
    const cut = events.findIndex((e) => e.data.includes("/READ"));
    expect(observeEvents(api, events.slice(0, cut + 1)).toolCalls[1]).toEqual({
      tool: "Read",
      providerToolCallId: "toolu_01Bv8nGqE3yF6tq1XkR2mZ7p",
      input: '{"file_path": "/home/dev/project/READ',
    });
  });
});

describe("Anthropic Messages: non-streaming fixtures", () => {
  test("thinking, text and two tool_use blocks; cache creation split by TTL; web_search_requests 0 is kept", () => {
    expect(observeJsonFixture(api, "anthropic/message-thinking-parallel-tools.json")).toEqual({
      usage: usage({
        providerResponseId: "msg_01JHKqEmh7wYuPXqUWUvusfL",
        inputTokens: 6,
        outputTokens: 284,
        cacheReadInputTokens: 23490,
        cacheWriteInputTokens: 3120,
        metadata: { cache_ephemeral_5m_input: 1120, cache_ephemeral_1h_input: 2000, web_search_requests: 0 },
      }),
      toolCalls: [
        {
          tool: "Bash",
          providerToolCallId: "toolu_01D7FLrfh4GYq7yT1ULFeyMV",
          input: '{"command":"bun test --bail","description":"Run the unit tests","timeout":120000}',
        },
        {
          tool: "Grep",
          providerToolCallId: "toolu_01Grep4Todo9nM2bX6cVz8Qw",
          input: '{"pattern":"TODO|FIXME","path":"src","output_mode":"content","-n":true}',
        },
      ],
      overloaded: false,
      thoughts: [
        {
          content: "Two independent lookups: run the tests and grep for the TODO markers at once.",
          source: "thinking",
        },
      ],
    });
  });

  test("usage without cache fields: the cache counts are absent (null), not zero", () => {
    expect(observeJsonFixture(api, "anthropic/message-text-legacy-usage.json")).toEqual({
      usage: usage({ providerResponseId: "msg_013Zva2CMHLNnXjNJJKqJ2EF", inputTokens: 10, outputTokens: 12 }),
      toolCalls: [],
      overloaded: false,
      thoughts: [],
    });
  });

  test("an error body records nothing (overloaded is only about stream error events)", () => {
    expect(observeJsonFixture(api, "anthropic/error-overloaded.json")).toEqual({
      usage: null,
      toolCalls: [],
      overloaded: false,
      thoughts: [],
    });
  });

  test("a message without usage → usage null; a tool_use without input → {}; server_tool_use is skipped", () => {
    const body = {
      id: "msg_n",
      type: "message",
      content: [
        { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "q" } },
        { type: "tool_use", id: "toolu_n", name: "now" },
      ],
    };
    expect(observeJson(api, body)).toEqual({
      usage: null,
      toolCalls: [{ tool: "now", providerToolCallId: "toolu_n", input: "{}" }],
      overloaded: false,
      thoughts: [],
    });
  });
});

describe("Anthropic Messages: usage rules", () => {
  const start = (u: object, id = "msg_u") =>
    sse("message_start", { message: { id, type: "message", role: "assistant", content: [], usage: u } });
  const delta = (u: object) => sse("message_delta", { delta: { stop_reason: "end_turn" }, usage: u });

  test("a snapshot repeated counts once; later values win field by field", () => {
    const text =
      start({ input_tokens: 5, cache_read_input_tokens: 9, output_tokens: 1 }) +
      delta({ output_tokens: 2 }) +
      delta({ input_tokens: 7, cache_creation_input_tokens: 4, output_tokens: 3 }) +
      delta({ input_tokens: 7, cache_creation_input_tokens: 4, output_tokens: 3 });
    expect(observeText(api, text).usage).toEqual(
      usage({
        providerResponseId: "msg_u",
        inputTokens: 7,
        outputTokens: 3,
        cacheReadInputTokens: 9,
        cacheWriteInputTokens: 4,
      }),
    );
  });

  test("null fields in message_delta (as the SDK types allow) keep the earlier values", () => {
    const text =
      start({
        input_tokens: 5,
        cache_read_input_tokens: 9,
        cache_creation_input_tokens: 2,
        output_tokens: 1,
      }) +
      delta({
        input_tokens: null,
        cache_read_input_tokens: null,
        cache_creation_input_tokens: null,
        output_tokens: 30,
        server_tool_use: null,
      });
    expect(observeText(api, text).usage).toEqual(
      usage({
        providerResponseId: "msg_u",
        inputTokens: 5,
        outputTokens: 30,
        cacheReadInputTokens: 9,
        cacheWriteInputTokens: 2,
      }),
    );
  });

  test("no usage anywhere → null; output only from message_delta → input stays null", () => {
    expect(observeText(api, sse("message_stop", {})).usage).toBeNull();
    expect(observeText(api, start({}).replace(',"usage":{}', "")).usage).toBeNull();
    expect(observeText(api, start({ output_tokens: 0 }) + delta({ output_tokens: 12 })).usage).toEqual(
      usage({ providerResponseId: "msg_u", outputTokens: 12 }),
    );
  });

  test("usage arriving before the id still carries the message id", () => {
    const text = delta({ output_tokens: 4 }) + start({ input_tokens: 1 }, "msg_late");
    expect(observeText(api, text).usage?.providerResponseId).toBe("msg_late");
  });
});

describe("Anthropic Messages: streamed tool calls", () => {
  const blockStart = (index: number, block: object) =>
    sse("content_block_start", { index, content_block: block });
  const json = (index: number, partial_json: string) =>
    sse("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } });

  test("interleaved deltas are assembled per index and reported in block order", () => {
    const text =
      blockStart(1, { type: "tool_use", id: "b", name: "B", input: {} }) +
      blockStart(0, { type: "tool_use", id: "a", name: "A", input: {} }) +
      json(1, '{"y":') +
      json(0, '{"x":') +
      json(0, "1}") +
      json(1, "2}") +
      sse("content_block_delta", { index: 0, delta: { type: "text_delta", text: "ignored" } }) +
      json(7, "no such block");
    expect(observeText(api, text).toolCalls).toEqual([
      { tool: "A", providerToolCallId: "a", input: '{"x":1}' },
      { tool: "B", providerToolCallId: "b", input: '{"y":2}' },
    ]);
  });

  test("a tool_use whose start already holds the input (no deltas) records that input", () => {
    const text = blockStart(0, { type: "tool_use", id: "t", name: "T", input: { k: "v" } });
    expect(observeText(api, text).toolCalls).toEqual([
      { tool: "T", providerToolCallId: "t", input: '{"k":"v"}' },
    ]);
  });

  test("the error event: only overloaded_error counts", () => {
    const error = (type: unknown) => sse("error", { error: { type, message: "x" } });
    expect(observeText(api, error("overloaded_error")).overloaded).toBe(true);
    expect(observeText(api, error("api_error")).overloaded).toBe(false);
    expect(observeText(api, error(undefined)).overloaded).toBe(false);
    expect(
      observeText(api, 'event: error\ndata: {"type":"error","error":"overloaded_error"}\n\n').overloaded,
    ).toBe(false);
  });

  test("malformed events are ignored without throwing", () => {
    const text = [
      "data: not json\n\n",
      "data: [1,2]\n\n",
      "data: null\n\n",
      'data: {"type":"message_start","message":null}\n\n',
      'data: {"type":"message_start","message":{"id":5,"usage":[1]}}\n\n',
      'data: {"type":"content_block_start","index":"0","content_block":{"type":"tool_use"}}\n\n',
      'data: {"type":"content_block_start","index":0}\n\n',
      'data: {"type":"content_block_delta","index":0,"delta":null}\n\n',
      'data: {"type":"message_delta","usage":"many"}\n\n',
    ].join("");
    expect(observeText(api, text)).toEqual({ usage: null, toolCalls: [], overloaded: false, thoughts: [] });
    for (const body of [null, 1, "x", [], {}, { type: "message", content: "x", usage: null }]) {
      expect(observeJson(api, body)).toEqual({ usage: null, toolCalls: [], overloaded: false, thoughts: [] });
    }
  });

  test("result() can be called repeatedly and returns copies", () => {
    const observer = api.observe();
    observer.onJson(anthropicMessage([], { input_tokens: 1, output_tokens: 2 }, "m"));
    const first = observer.result();
    first.usage!.metadata.x = 1;
    first.toolCalls.push({ tool: "x", providerToolCallId: "x", input: "x" });
    expect(observer.result()).toEqual({
      usage: usage({ providerResponseId: "m", inputTokens: 1, outputTokens: 2 }),
      toolCalls: [],
      overloaded: false,
      thoughts: [],
    });
  });
});

describe("Anthropic Messages: the mock upstream's wire builders agree", () => {
  const u = {
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
  const expected = {
    usage: usage({
      providerResponseId: "msg_x",
      inputTokens: 12,
      outputTokens: 40,
      cacheReadInputTokens: 1000,
      cacheWriteInputTokens: 200,
      metadata: { cache_ephemeral_5m_input: 150, cache_ephemeral_1h_input: 50, web_search_requests: 3 },
    }),
    toolCalls: [
      { tool: "Read", providerToolCallId: "toolu_1", input: '{"path":"/a"}' },
      { tool: "Bash", providerToolCallId: "toolu_2", input: '{"command":"ls -la","timeout":5}' },
    ],
    overloaded: false,
    thoughts: [{ content: "hmm", source: "thinking" as const }],
  };

  test("blocking and streaming", () => {
    expect(observeJson(api, anthropicMessage(blocks, u, "msg_x"))).toEqual(expected);
    const { output_tokens: _, ...startUsage } = u;
    const text = anthropicStream(blocks, { ...startUsage, output_tokens: 1 }, { output_tokens: 40 }, "msg_x");
    expect(observeText(api, text)).toEqual(expected);
  });
});

describe("Anthropic Messages: request facts", () => {
  const parse = (body: Record<string, unknown>) => api.parseRequest(body);
  const user = (content: unknown) => ({ role: "user", content });

  test("model and stream", () => {
    expect(parse({ model: "claude-sonnet-4-5", messages: [user("hi")] })).toEqual({
      model: "claude-sonnet-4-5",
      stream: false,
      prompt: "hi",
      correlationToolCallId: null,
    });
    expect(parse({ model: "m", stream: true, messages: [] })).toMatchObject({ stream: true });
    expect(parse({ model: "m", stream: "true", messages: [] })).toMatchObject({ stream: false });
  });

  test("a missing, empty or non-string model is an error", () => {
    for (const model of [undefined, "", "  ", 5, ["x"], null, {}]) {
      expect(parse({ model, messages: [user("hi")] })).toHaveProperty("error");
    }
  });

  test("the prompt is the last user message's text, or its last text block", () => {
    const blocks = [
      { type: "text", text: "a" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "" } },
      { type: "text", text: "b", cache_control: { type: "ephemeral" } },
      { type: "document" },
    ];
    expect(parse({ model: "m", messages: [user(blocks)] })).toMatchObject({ prompt: "b" });
    expect(
      parse({
        model: "m",
        system: [{ type: "text", text: "You are Claude Code" }],
        messages: [user("first"), { role: "assistant", content: "ok" }, user("second")],
      }),
    ).toMatchObject({ prompt: "second" });
  });

  test("a tool_result turn after the text still yields the text block; tool_result alone yields null", () => {
    const toolResult = { type: "tool_result", tool_use_id: "toolu_1", content: "file body" };
    expect(
      parse({ model: "m", messages: [user([toolResult, { type: "text", text: "go on" }])] }),
    ).toMatchObject({
      prompt: "go on",
    });
    expect(parse({ model: "m", messages: [user([toolResult])] })).toMatchObject({ prompt: null });
  });

  test("no prompt when the last message is not the user's, or there are no messages", () => {
    expect(
      parse({ model: "m", messages: [user("q"), { role: "assistant", content: "prefill" }] }),
    ).toMatchObject({
      prompt: null,
    });
    expect(parse({ model: "m", messages: [] })).toMatchObject({ prompt: null });
    expect(parse({ model: "m" })).toMatchObject({ prompt: null });
    expect(parse({ model: "m", messages: "hi" })).toMatchObject({ prompt: null });
    expect(parse({ model: "m", messages: [user(null)] })).toMatchObject({ prompt: null });
    expect(parse({ model: "m", messages: [user([])] })).toMatchObject({ prompt: null });
  });

  test("the body is never rewritten", () => {
    expect(api.rewriteRequest).toBeUndefined();
  });
});
