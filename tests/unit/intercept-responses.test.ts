import { describe, expect, test } from "bun:test";

import { responsesInterceptor as api } from "../../src/bridge/intercept";
import {
  fixtureEvents,
  observeEvents,
  observeFixtureAtEverySplit,
  observeJson,
  observeJsonFixture,
  observeText,
} from "../fixtures/observe";
import { responsesObject, responsesStream } from "../helpers/provider-wire";

const event = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const functionCall = (id: string, callId: string, name: string, args: string) => ({
  id,
  type: "function_call",
  status: "completed",
  call_id: callId,
  name,
  arguments: args,
});

describe("OpenAI Responses: streaming fixtures (identical at every chunk boundary)", () => {
  test("reasoning then two parallel function calls, each counted once; usage from response.completed", () => {
    expect(observeFixtureAtEverySplit(api, "openai-responses/stream-reasoning-parallel-tools.sse")).toEqual({
      usage: {
        providerResponseId: "resp_68f1c2a9d4e08190b1a2c3d4e5f60718",
        inputTokens: 8312 - 7936,
        outputTokens: 214,
        cacheReadInputTokens: 7936,
        cacheWriteInputTokens: null,
        metadata: { output_reasoning: 128, total_tokens: 8526 },
      },
      toolCalls: [
        {
          tool: "shell",
          providerToolCallId: "call_Jk8mN2bV5cX7zL9aQ1wE3rT6",
          input: '{"command":["rg","--files"],"workdir":"/home/dev/app"}',
        },
        {
          tool: "shell",
          providerToolCallId: "call_Pq4wE6rT8yU0iO2pA5sD7fG9",
          input: '{"command":["cat","README.md"],"workdir":"/home/dev/app","timeout_ms":10000}',
        },
      ],
      overloaded: false,
      thoughts: [
        { content: "**Inspecting the repository layout** — two reads at once.", source: "reasoning_summary" },
      ],
    });
  });

  test("text only, with cached input", () => {
    expect(observeFixtureAtEverySplit(api, "openai-responses/stream-text-cached.sse")).toEqual({
      usage: {
        providerResponseId: "resp_0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        inputTokens: 1530 - 1280,
        outputTokens: 17,
        cacheReadInputTokens: 1280,
        cacheWriteInputTokens: null,
        metadata: { output_reasoning: 0, total_tokens: 1547 },
      },
      toolCalls: [],
      overloaded: false,
      thoughts: [],
    });
  });

  test("response.incomplete carries usage; a custom tool call and a call cut short are both recorded", () => {
    expect(observeFixtureAtEverySplit(api, "openai-responses/stream-custom-tool-incomplete.sse")).toEqual({
      usage: {
        providerResponseId: "resp_07c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9",
        inputTokens: 4096,
        outputTokens: 2048,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: null,
        metadata: { output_reasoning: 1984, total_tokens: 6144 },
      },
      toolCalls: [
        {
          tool: "apply_patch",
          providerToolCallId: "call_Ap9lY4pAtCh2bN6mQ8wE1rT3",
          input:
            "*** Begin Patch\n*** Update File: src/app.ts\n@@\n-const port = 3000;\n+const port = 8080;\n*** End Patch",
        },
        { tool: "run_tests", providerToolCallId: "call_Tr7uNcAt3dQ1wE4rT6yU8iO0", input: '{"filter":"ser' },
      ],
      overloaded: false,
      thoughts: [],
    });
  });

  test("response.failed carries usage", () => {
    expect(observeFixtureAtEverySplit(api, "openai-responses/stream-failed.sse")).toEqual({
      usage: {
        providerResponseId: "resp_0f9e8d7c6b5a49382716a5b4c3d2e1f0",
        inputTokens: 12288 - 11264,
        outputTokens: 0,
        cacheReadInputTokens: 11264,
        cacheWriteInputTokens: null,
        metadata: { output_reasoning: 0, total_tokens: 12288 },
      },
      toolCalls: [],
      overloaded: false,
      thoughts: [],
    });
  });

  test("every prefix of a stream records what was seen: calls from their first event, arguments as far as they came", () => {
    const events = fixtureEvents("openai-responses/stream-reasoning-parallel-tools.sse");
    let calls = 0;
    for (let n = 0; n <= events.length; n++) {
      const seen = observeEvents(api, events.slice(0, n));
      expect(seen.usage === null).toBe(n < events.length);
      expect(seen.toolCalls.length).toBeGreaterThanOrEqual(calls);
      calls = seen.toolCalls.length;
    }
    expect(calls).toBe(2);
    const firstDelta = events.findIndex((e) => e.event === "response.function_call_arguments.delta");
    expect(observeEvents(api, events.slice(0, firstDelta)).toolCalls).toEqual([
      { tool: "shell", providerToolCallId: "call_Jk8mN2bV5cX7zL9aQ1wE3rT6", input: "" },
    ]);
    expect(observeEvents(api, events.slice(0, firstDelta + 1)).toolCalls).toEqual([
      { tool: "shell", providerToolCallId: "call_Jk8mN2bV5cX7zL9aQ1wE3rT6", input: '{"command":["' },
    ]);
  });
});

describe("OpenAI Responses: non-streaming", () => {
  test("parallel function calls among reasoning and message items", () => {
    expect(observeJsonFixture(api, "openai-responses/response-parallel-tools.json")).toEqual({
      usage: {
        providerResponseId: "resp_68f1d3b0e5f19190a1b2c3d4e5f6a7b8",
        inputTokens: 320,
        outputTokens: 58,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: null,
        metadata: { output_reasoning: 0, total_tokens: 378 },
      },
      toolCalls: [
        {
          tool: "get_weather",
          providerToolCallId: "call_Wx1eC2rV3tB4yN5uM6iK7oL8",
          input: '{"city":"Paris","unit":"c"}',
        },
        {
          tool: "get_weather",
          providerToolCallId: "call_Zq9aW8sX7eD6cR5fV4tG3bY2",
          input: '{"city":"Reykjavík","unit":"c"}',
        },
      ],
      overloaded: false,
      thoughts: [],
    });
  });

  test("absent fields are null, never zero; no usage → null", () => {
    expect(observeJson(api, { id: "resp_a", usage: { output_tokens: 2 } }).usage).toEqual({
      providerResponseId: "resp_a",
      inputTokens: null,
      outputTokens: 2,
      cacheReadInputTokens: null,
      cacheWriteInputTokens: null,
      metadata: {},
    });
    expect(observeJson(api, { id: "resp_b", usage: null, output: [] }).usage).toBeNull();
  });

  test("items without ids are still told apart by position", () => {
    const body = {
      id: "resp_c",
      output: [
        { type: "function_call", name: "a", arguments: "{}" },
        { type: "function_call", name: "b", arguments: "{}" },
      ],
    };
    expect(observeJson(api, body).toolCalls).toEqual([
      { tool: "a", providerToolCallId: "", input: "{}" },
      { tool: "b", providerToolCallId: "", input: "{}" },
    ]);
  });
});

describe("OpenAI Responses: streaming rules", () => {
  test("a call seen in output_item.done and again in response.completed counts once; the final text wins", () => {
    const item = functionCall("fc_1", "call_1", "f", '{"a":1}');
    const text =
      event("response.output_item.added", {
        output_index: 0,
        item: { ...item, arguments: "", status: "in_progress" },
      }) +
      event("response.function_call_arguments.delta", { output_index: 0, item_id: "fc_1", delta: '{"a":' }) +
      event("response.output_item.done", { output_index: 0, item }) +
      event("response.completed", { response: { id: "resp_1", output: [item], usage: null } });
    expect(observeText(api, text)).toEqual({
      usage: null,
      toolCalls: [{ tool: "f", providerToolCallId: "call_1", input: '{"a":1}' }],
      overloaded: false,
      thoughts: [],
    });
  });

  test("response.completed alone (no item events) is enough", () => {
    const output = [functionCall("fc_1", "call_1", "f", "{}"), functionCall("fc_2", "call_2", "g", "{}")];
    const text = event("response.completed", {
      response: { id: "resp_2", output, usage: { input_tokens: 5, output_tokens: 1 } },
    });
    expect(observeText(api, text)).toMatchObject({
      usage: { providerResponseId: "resp_2", inputTokens: 5, outputTokens: 1 },
      toolCalls: [
        { tool: "f", providerToolCallId: "call_1", input: "{}" },
        { tool: "g", providerToolCallId: "call_2", input: "{}" },
      ],
    });
  });

  test("the usage snapshot is last-wins; response.created's null usage does not erase it", () => {
    const text =
      event("response.completed", {
        response: { id: "resp_3", usage: { input_tokens: 1, output_tokens: 1 } },
      }) +
      event("response.completed", {
        response: { id: "resp_3", usage: { input_tokens: 9, output_tokens: 4 } },
      }) +
      event("response.created", { response: { id: "resp_3", usage: null } });
    expect(observeText(api, text).usage).toMatchObject({ inputTokens: 9, outputTokens: 4 });
  });

  test("the response id is known from response.created even when usage never arrives", () => {
    const text =
      event("response.created", { response: { id: "resp_4", usage: null } }) +
      event("response.output_item.done", { output_index: 0, item: functionCall("fc", "call", "f", "{}") });
    expect(observeText(api, text)).toEqual({
      usage: null,
      toolCalls: [{ tool: "f", providerToolCallId: "call", input: "{}" }],
      overloaded: false,
      thoughts: [],
    });
  });

  test("non-tool items (messages, reasoning, web search, MCP list) are not tool calls", () => {
    const output = [
      { id: "msg_1", type: "message", role: "assistant", content: [] },
      { id: "rs_1", type: "reasoning", summary: [] },
      { id: "ws_1", type: "web_search_call", status: "completed" },
      { id: "mcpl_1", type: "mcp_list_tools", tools: [] },
    ];
    expect(
      observeText(api, event("response.completed", { response: { id: "r", output } })).toolCalls,
    ).toEqual([]);
  });

  test("malformed events are ignored without throwing", () => {
    const text = [
      "data: nope\n\n",
      "data: 3\n\n",
      'data: {"type":"error","code":"server_error","message":"boom"}\n\n',
      'data: {"type":"response.completed","response":null}\n\n',
      'data: {"type":"response.completed","response":{"output":"x","usage":[1]}}\n\n',
      'data: {"type":"response.output_item.done","item":null}\n\n',
      'data: {"type":"response.function_call_arguments.delta","item_id":"missing","delta":"x"}\n\n',
      'data: {"type":"response.function_call_arguments.done","item_id":5}\n\n',
    ].join("");
    expect(observeText(api, text)).toEqual({ usage: null, toolCalls: [], overloaded: false, thoughts: [] });
    for (const body of [null, 1, "x", [], {}, { output: [null, 1, "x"] }]) {
      expect(() => observeJson(api, body)).not.toThrow();
    }
  });
});

describe("OpenAI Responses: the mock upstream's wire builders agree", () => {
  const u = {
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
    thoughts: [],
  };

  test("blocking and streaming", () => {
    expect(observeJson(api, responsesObject("t", calls, u, "resp_7"))).toEqual(expected);
    expect(observeText(api, responsesStream("t", calls, u, "resp_7"))).toEqual(expected);
  });
});

describe("OpenAI Responses: request facts", () => {
  const parse = (input: unknown, extra: Record<string, unknown> = {}) =>
    api.parseRequest({ model: "gpt-5-codex", input, ...extra });

  test("model, stream, and a string input as the prompt", () => {
    expect(parse("hello", { stream: true })).toEqual({
      model: "gpt-5-codex",
      stream: true,
      prompt: "hello",
      correlationToolCallId: null,
    });
  });

  test("the last item's input_text parts joined by newlines", () => {
    const content = [
      { type: "input_text", text: "<environment_context>cwd</environment_context>" },
      { type: "input_image", image_url: "data:" },
      { type: "input_text", text: "fix the build" },
    ];
    expect(parse([{ type: "message", role: "user", content }])).toMatchObject({
      prompt: "<environment_context>cwd</environment_context>\nfix the build",
    });
  });

  test("a bare {role, content} item, with string or part content", () => {
    expect(parse([{ role: "user", content: "bare" }])).toMatchObject({ prompt: "bare" });
    expect(parse([{ role: "user", content: [{ type: "input_text", text: "x" }] }])).toMatchObject({
      prompt: "x",
    });
  });

  test("earlier items do not matter; only the last one", () => {
    expect(
      parse([
        { role: "developer", content: "rules" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "a" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "again" }] },
      ]),
    ).toMatchObject({ prompt: "again" });
  });

  test("no prompt when the last item is a tool output, not the user's, or has no input_text", () => {
    expect(
      parse([
        { role: "user", content: "q" },
        { type: "function_call_output", call_id: "c", output: "o" },
      ]),
    ).toMatchObject({ prompt: null });
    expect(parse([{ role: "developer", content: "d" }])).toMatchObject({ prompt: null });
    expect(parse([{ type: "item_reference", id: "msg_1", role: "user" }])).toMatchObject({ prompt: null });
    expect(parse([{ role: "user", content: [{ type: "input_image", image_url: "x" }] }])).toMatchObject({
      prompt: null,
    });
    expect(parse([])).toMatchObject({ prompt: null });
    expect(parse(undefined)).toMatchObject({ prompt: null });
    expect(parse({ role: "user", content: "not an array" })).toMatchObject({ prompt: null });
  });

  test("a missing or non-string model is an error", () => {
    for (const model of [undefined, "", 1, null]) {
      expect(api.parseRequest({ model, input: "x" })).toHaveProperty("error");
    }
  });

  test("the body is never rewritten", () => {
    expect(api.rewriteRequest).toBeUndefined();
  });
});
