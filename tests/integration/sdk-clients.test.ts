import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

import { type BridgeFixture, interceptionRows, settled, startBridge } from "../helpers/bridge";
import {
  anthropicMessage,
  anthropicStream,
  chatCompletion,
  chatStream,
  responsesObject,
  responsesStream,
  sseResponse,
} from "../helpers/provider-wire";

let f: BridgeFixture;
let openai: OpenAI;
let anthropic: Anthropic;
let lastInterception: string | null = null;

beforeAll(async () => {
  f = await startBridge();
  const fetchSpy = async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    lastInterception = res.headers.get("x-aibridge-interception-id");
    return res;
  };
  openai = new OpenAI({ apiKey: f.gw.adminKey, baseURL: f.openaiBase, maxRetries: 0, fetch: fetchSpy });
  anthropic = new Anthropic({
    apiKey: f.gw.adminKey,
    baseURL: f.anthropicBase,
    maxRetries: 0,
    fetch: fetchSpy,
  });
});
afterAll(() => f.stop());

async function recorded() {
  await settled(f.gw);
  return interceptionRows(f.gw, lastInterception!);
}

const weatherArgs = '{"city":"Paris","unit":"c"}';
const timeArgs = '{"tz":"Europe/Paris"}';

describe("OpenAI chat completions through the official SDK", () => {
  test("blocking, with parallel tool calls and cached tokens", async () => {
    const usage = {
      prompt_tokens: 120,
      completion_tokens: 30,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 100, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 12,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
    f.upstream.handler = () =>
      Response.json(
        chatCompletion(
          null,
          [
            { id: "call_1", name: "get_weather", arguments: weatherArgs },
            { id: "call_2", name: "get_time", arguments: timeArgs },
          ],
          usage,
          "chatcmpl-tools",
        ),
      );
    const result = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "Weather and time in Paris?" },
      ],
      tools: [
        { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
        { type: "function", function: { name: "get_time", parameters: { type: "object" } } },
      ],
    });
    expect(result.choices[0]!.message.tool_calls!.map((t) => (t as { id: string }).id)).toEqual([
      "call_1",
      "call_2",
    ]);
    const rows = await recorded();
    expect(rows.interception).toMatchObject({ provider: "openai", model: "gpt-4o", client: "Unknown" });
    expect(rows.interception.ended_at.getTime()).toBeGreaterThanOrEqual(
      rows.interception.started_at.getTime(),
    );
    expect(rows.usages).toHaveLength(1);
    expect(rows.usages[0]).toMatchObject({
      provider_response_id: "chatcmpl-tools",
      input_tokens: 20,
      output_tokens: 30,
      cache_read_input_tokens: 100,
    });
    expect(rows.usages[0].metadata.completion_reasoning).toBe(12);
    expect(rows.prompts.map((p) => p.prompt)).toEqual(["Weather and time in Paris?"]);
    expect(rows.tools.map((t) => [t.tool, t.provider_tool_call_id, t.input, t.injected])).toEqual([
      ["get_weather", "call_1", weatherArgs, false],
      ["get_time", "call_2", timeArgs, false],
    ]);
  });

  test("streaming: include_usage is forced on, every tool call and the usage are recorded", async () => {
    f.upstream.handler = () =>
      sseResponse(
        chatStream(
          "Let me check.",
          [
            { id: "call_a", name: "get_weather", arguments: weatherArgs },
            { id: "call_b", name: "get_time", arguments: timeArgs },
          ],
          {
            prompt_tokens: 50,
            completion_tokens: 20,
            total_tokens: 70,
            prompt_tokens_details: { cached_tokens: 0 },
          },
          "chatcmpl-s",
        ),
      );
    const stream = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      stream: true,
      stream_options: { include_usage: false },
      messages: [{ role: "user", content: "stream please" }],
    });
    let text = "";
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toBe("Let me check.");
    expect(sawUsage).toBe(true);
    const sent = JSON.parse(f.upstream.last.body);
    expect(sent.stream_options).toEqual({ include_usage: true });
    const rows = await recorded();
    expect(rows.usages[0]).toMatchObject({ input_tokens: 50, output_tokens: 20, cache_read_input_tokens: 0 });
    expect(rows.tools.map((t) => [t.provider_tool_call_id, t.input])).toEqual([
      ["call_a", weatherArgs],
      ["call_b", timeArgs],
    ]);
    expect(rows.prompts[0].prompt).toBe("stream please");
  });

  test("a stream without usage records no usage row (absent is not zero)", async () => {
    f.upstream.handler = () => sseResponse(chatStream("hi", [], null, "chatcmpl-nousage"));
    const stream = await openai.chat.completions.create({
      model: "gpt-4o",
      stream: true,
      messages: [{ role: "user", content: "x" }],
    });
    for await (const _ of stream) {
    }
    const rows = await recorded();
    expect(rows.usages).toHaveLength(0);
    expect(rows.interception.ended_at).not.toBeNull();
  });
});

describe("OpenAI Responses through the official SDK", () => {
  test("a Codex-style exchange: function_call, then function_call_output, blocking and streaming", async () => {
    const usage1 = {
      input_tokens: 900,
      input_tokens_details: { cached_tokens: 800 },
      output_tokens: 40,
      output_tokens_details: { reasoning_tokens: 25 },
      total_tokens: 940,
    };
    f.upstream.handler = () =>
      sseResponse(
        responsesStream(
          null,
          [
            { callId: "call_sh1", name: "shell", arguments: '{"command":["ls","-la"]}' },
            { callId: "call_sh2", name: "shell", arguments: '{"command":["pwd"]}' },
          ],
          usage1,
          "resp_turn1",
        ),
      );
    const first = await openai.responses.create({
      model: "gpt-5-codex",
      stream: true,
      instructions: "You are Codex.",
      input: [
        {
          type: "message",
          role: "user",
          content: [
            { type: "input_text", text: "list files" },
            { type: "input_text", text: "and where am I" },
          ],
        },
      ],
      tools: [{ type: "function", name: "shell", parameters: { type: "object" }, strict: false }],
    });
    const calls: string[] = [];
    for await (const event of first) {
      if (event.type === "response.output_item.done" && event.item.type === "function_call")
        calls.push(event.item.call_id);
    }
    expect(calls).toEqual(["call_sh1", "call_sh2"]);
    let rows = await recorded();
    expect(rows.usages[0]).toMatchObject({
      provider_response_id: "resp_turn1",
      input_tokens: 100,
      output_tokens: 40,
      cache_read_input_tokens: 800,
    });
    expect(rows.usages[0].metadata).toMatchObject({ output_reasoning: 25, total_tokens: 940 });
    expect(rows.prompts.map((p) => p.prompt)).toEqual(["list files\nand where am I"]);
    expect(rows.tools.map((t) => [t.tool, t.provider_tool_call_id])).toEqual([
      ["shell", "call_sh1"],
      ["shell", "call_sh2"],
    ]);

    f.upstream.handler = () =>
      Response.json(
        responsesObject(
          "Two files.",
          [],
          {
            input_tokens: 1000,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: 5,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: 1005,
          },
          "resp_turn2",
        ),
      );
    const second = await openai.responses.create({
      model: "gpt-5-codex",
      input: [
        { type: "message", role: "user", content: [{ type: "input_text", text: "list files" }] },
        { type: "function_call", call_id: "call_sh1", name: "shell", arguments: '{"command":["ls","-la"]}' },
        { type: "function_call_output", call_id: "call_sh1", output: "a.txt\nb.txt" },
      ],
    });
    expect(second.output_text).toBe("Two files.");
    rows = await recorded();
    expect(rows.usages[0]).toMatchObject({
      provider_response_id: "resp_turn2",
      input_tokens: 1000,
      output_tokens: 5,
    });
    expect(rows.prompts).toHaveLength(0);
    expect(rows.tools).toHaveLength(0);
  });

  test("a plain string input is the prompt", async () => {
    f.upstream.handler = () =>
      Response.json(
        responsesObject("ok", [], { input_tokens: 3, output_tokens: 1, total_tokens: 4 }, "resp_s"),
      );
    const res = await openai.responses.create({ model: "gpt-5", input: "just a string" });
    expect(res.id).toBe("resp_s");
    const rows = await recorded();
    expect(rows.prompts[0].prompt).toBe("just a string");
  });
});

describe("Anthropic Messages through the official SDK", () => {
  test("messages.create with parallel tool_use, thinking and prompt caching usage", async () => {
    const usage = {
      input_tokens: 10,
      output_tokens: 70,
      cache_read_input_tokens: 2000,
      cache_creation_input_tokens: 300,
      cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 100 },
      server_tool_use: { web_search_requests: 2 },
    };
    f.upstream.handler = () =>
      Response.json(
        anthropicMessage(
          [
            { type: "thinking", thinking: "need two tools" },
            { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a.ts" } },
            { type: "tool_use", id: "toolu_2", name: "Grep", input: { pattern: "TODO" } },
          ],
          usage,
          "msg_tools",
        ),
      );
    const msg = await anthropic.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      system: [{ type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "<system-reminder>ctx</system-reminder>" },
            { type: "text", text: "Find the TODOs" },
          ],
        },
      ],
      tools: [
        { name: "Read", input_schema: { type: "object" } },
        { name: "Grep", input_schema: { type: "object" } },
      ],
    });
    expect(msg.content.map((b) => b.type)).toEqual(["thinking", "tool_use", "tool_use"]);
    const rows = await recorded();
    expect(rows.usages[0]).toMatchObject({
      provider_response_id: "msg_tools",
      input_tokens: 10,
      output_tokens: 70,
      cache_read_input_tokens: 2000,
      cache_write_input_tokens: 300,
    });
    expect(rows.usages[0].metadata).toMatchObject({
      cache_ephemeral_5m_input: 200,
      cache_ephemeral_1h_input: 100,
      web_search_requests: 2,
    });
    expect(rows.prompts.map((p) => p.prompt)).toEqual(["Find the TODOs"]);
    expect(rows.tools.map((t) => [t.tool, t.provider_tool_call_id, JSON.parse(t.input)])).toEqual([
      ["Read", "toolu_1", { file_path: "/a.ts" }],
      ["Grep", "toolu_2", { pattern: "TODO" }],
    ]);
  });

  test("a Claude Code exchange: tool_use → tool_result → final text, streamed with messages.stream", async () => {
    const headers = {
      "user-agent": "claude-cli/2.0.14 (external, cli)",
      "x-claude-code-session-id": "sess-42",
      "anthropic-beta": "claude-code-20250219",
    };
    f.upstream.handler = () =>
      sseResponse(
        anthropicStream(
          [
            { type: "text", text: "I'll read it." },
            { type: "tool_use", id: "toolu_r", name: "Read", input: { file_path: "/src/main.ts" } },
          ],
          {
            input_tokens: 4,
            cache_creation_input_tokens: 1500,
            cache_read_input_tokens: 0,
            output_tokens: 1,
          },
          { output_tokens: 33 },
          "msg_cc1",
        ),
      );
    const turn1 = anthropic.messages.stream(
      {
        model: "claude-sonnet-4-5",
        max_tokens: 4096,
        system: "You are Claude Code, Anthropic's official CLI for Claude.",
        messages: [{ role: "user", content: "Explain src/main.ts" }],
        tools: [{ name: "Read", input_schema: { type: "object" } }],
      },
      { headers },
    );
    const final1 = await turn1.finalMessage();
    expect(final1.content.map((b) => b.type)).toEqual(["text", "tool_use"]);
    let rows = await recorded();
    expect(rows.interception).toMatchObject({
      client: "Claude Code",
      client_session_id: "sess-42",
      user_agent: headers["user-agent"],
    });
    expect(rows.usages[0]).toMatchObject({
      input_tokens: 4,
      output_tokens: 33,
      cache_write_input_tokens: 1500,
      cache_read_input_tokens: 0,
    });
    expect(rows.tools.map((t) => [t.tool, JSON.parse(t.input)])).toEqual([
      ["Read", { file_path: "/src/main.ts" }],
    ]);
    expect(rows.prompts[0].prompt).toBe("Explain src/main.ts");

    f.upstream.handler = () =>
      sseResponse(
        anthropicStream(
          [{ type: "text", text: "It starts the server." }],
          { input_tokens: 50, cache_read_input_tokens: 1500, output_tokens: 1 },
          { output_tokens: 6 },
          "msg_cc2",
        ),
      );
    const turn2 = anthropic.messages.stream(
      {
        model: "claude-sonnet-4-5",
        max_tokens: 4096,
        system: "You are Claude Code, Anthropic's official CLI for Claude.",
        messages: [
          { role: "user", content: "Explain src/main.ts" },
          { role: "assistant", content: final1.content as Anthropic.ContentBlockParam[] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_r", content: "export {}" }] },
        ],
      },
      { headers },
    );
    expect(await turn2.finalText()).toBe("It starts the server.");
    rows = await recorded();
    expect(rows.usages[0]).toMatchObject({
      provider_response_id: "msg_cc2",
      input_tokens: 50,
      output_tokens: 6,
      cache_read_input_tokens: 1500,
    });
    expect(rows.prompts).toHaveLength(0);
    expect(rows.tools).toHaveLength(0);
  });

  test("an upstream error surfaces as the SDK's typed error", async () => {
    f.upstream.handler = () =>
      Response.json(
        { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
        { status: 529 },
      );
    const error = await anthropic.messages
      .create({ model: "claude-x", max_tokens: 5, messages: [{ role: "user", content: "x" }] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBe(529);
  });
  test("gateway-made errors raise the right SDK exception", async () => {
    const bad = new Anthropic({ apiKey: "wrong-key", baseURL: f.anthropicBase, maxRetries: 0 });
    const error = await bad.messages
      .create({ model: "claude-x", max_tokens: 5, messages: [{ role: "user", content: "x" }] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    const badOpenai = new OpenAI({ apiKey: "wrong-key", baseURL: f.openaiBase, maxRetries: 0 });
    const oerr = await badOpenai.chat.completions.create({ model: "gpt-4o", messages: [] }).catch((e) => e);
    expect(oerr).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
