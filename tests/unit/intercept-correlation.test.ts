// SPEC §14 threads: which tool call a request answers, read from each API's request shape.
import { describe, expect, test } from "bun:test";

import {
  chatCompletionsInterceptor as chat,
  messagesInterceptor as messages,
  responsesInterceptor as responses,
} from "../../src/bridge/intercept";
import type { ApiInterceptor } from "../../src/bridge/intercept/types";
import { fixtureJson } from "../fixtures/replay";

type Body = Record<string, unknown>;

function correlation(api: ApiInterceptor, body: Body): string | null {
  const facts = api.parseRequest(body);
  if ("error" in facts) throw new Error(facts.error);
  return facts.correlationToolCallId;
}

const fixture = (name: string) => fixtureJson(`requests/${name}`) as Body;

describe("Anthropic Messages (Claude Code)", () => {
  const claudeCode = fixture("claude-code-tool-results.json");
  const turns = claudeCode.messages as Body[];
  const withMessages = (m: unknown) => ({ ...claudeCode, messages: m });

  test("a real Claude Code turn answering two parallel calls: the last tool_result, text after it ignored", () => {
    expect(correlation(messages, claudeCode)).toBe("toolu_01Bv8nGqE3yF6tq1XkR2mZ7p");
    // The reminder text does not make it a new prompt's thread; the prompt is still recorded as seen.
    expect(messages.parseRequest(claudeCode)).toMatchObject({
      prompt: "<system-reminder>The TodoWrite tool hasn't been used recently.</system-reminder>",
    });
  });

  test("the first request of a prompt answers nothing", () => {
    expect(correlation(messages, withMessages(turns.slice(0, 1)))).toBeNull();
  });

  test("only the last message counts: an older tool_result followed by a new prompt starts a thread", () => {
    const next = [...turns, { role: "assistant", content: "Done." }, { role: "user", content: "thanks" }];
    expect(correlation(messages, withMessages(next))).toBeNull();
  });

  test("an assistant last message (prefill) answers nothing", () => {
    expect(correlation(messages, withMessages(turns.slice(0, 2)))).toBeNull();
  });

  test("malformed shapes answer nothing and never throw", () => {
    for (const m of [
      undefined,
      "x",
      [],
      [null],
      [{ role: "user", content: "plain" }],
      [{ role: "user", content: [{ type: "tool_result" }] }],
      [{ role: "user", content: [{ type: "tool_result", tool_use_id: 7 }] }],
      [{ role: "user", content: [{ type: "tool_result", tool_use_id: "" }] }],
    ]) {
      expect(correlation(messages, { model: "m", messages: m })).toBeNull();
    }
  });
});

describe("OpenAI chat completions", () => {
  const chatExchange = fixture("chat-tool-messages.json");
  const turns = chatExchange.messages as Body[];

  test("after parallel calls, the last role: tool message's tool_call_id", () => {
    expect(correlation(chat, chatExchange)).toBe("call_3KdR8tYb0Z");
  });

  test("a user or assistant last message answers nothing", () => {
    expect(correlation(chat, { ...chatExchange, messages: turns.slice(0, 2) })).toBeNull();
    expect(correlation(chat, { ...chatExchange, messages: turns.slice(0, 3) })).toBeNull();
  });

  test("malformed shapes answer nothing", () => {
    for (const m of [undefined, [], [{ role: "tool" }], [{ role: "tool", tool_call_id: 1 }], [3]]) {
      expect(correlation(chat, { model: "m", messages: m })).toBeNull();
    }
  });
});

describe("OpenAI Responses (Codex)", () => {
  const codex = fixture("codex-function-call-outputs.json");
  const items = codex.input as Body[];

  test("a real Codex turn answering two parallel calls: the last function_call_output's call_id", () => {
    expect(correlation(responses, codex)).toBe("call_Pq4wE6rT8yU0iO2pA5sD7fG9");
  });

  test("Codex's apply_patch answers with custom_tool_call_output", () => {
    const input = [
      ...items,
      { type: "custom_tool_call_output", call_id: "call_Ap9lY4pAtCh2bN6mQ8wE1rT3", output: "ok" },
    ];
    expect(correlation(responses, { ...codex, input })).toBe("call_Ap9lY4pAtCh2bN6mQ8wE1rT3");
  });

  test("a new prompt (last item a user message, or a string input) answers nothing", () => {
    expect(correlation(responses, { ...codex, input: items.slice(0, 3) })).toBeNull();
    expect(correlation(responses, { ...codex, input: "hello" })).toBeNull();
  });

  test("malformed shapes answer nothing", () => {
    for (const input of [
      undefined,
      [],
      [{ type: "function_call_output" }],
      [{ type: "function_call", call_id: "c" }],
    ]) {
      expect(correlation(responses, { model: "m", input })).toBeNull();
    }
  });
});
