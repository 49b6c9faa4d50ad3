// SPEC §14 through the real gateway: the official SDKs drive multi-turn tool exchanges against a
// scripted agent upstream; sessions, threads and agentic actions are read back through the API.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

import { type BridgeFixture, settled, startBridge } from "../helpers/bridge";
import { api, createUserWithKey } from "../helpers/http";
import type { ReceivedRequest } from "../helpers/mock-upstream";
import {
  anthropicMessage,
  anthropicStream,
  chatCompletion,
  responsesObject,
  responsesStream,
  sseResponse,
} from "../helpers/provider-wire";

type Json = Record<string, unknown>;

let f: BridgeFixture;
let base: string;
let alice: { id: string; key: string };
let bob: { id: string; key: string };
let carol: { id: string; key: string };
let callSeq = 0;
const nextCall = (prefix: string) => `${prefix}_${++callSeq}`;

/**
 * A scripted agent: a new prompt gets one tool call (with thinking); the answer to a single call gets
 * two parallel calls; the answer to those gets the final text. So every prompt makes a thread of
 * three agentic actions.
 */
function agent(request: ReceivedRequest): Response {
  const body = JSON.parse(request.body) as Json;
  const usage = {
    input_tokens: 100,
    output_tokens: 20,
    cache_read_input_tokens: 50,
    cache_creation_input_tokens: 10,
  };
  if (request.path.endsWith("/v1/messages")) {
    const last = (body.messages as Json[]).at(-1)!;
    const results = Array.isArray(last.content)
      ? (last.content as Json[]).filter((b) => b.type === "tool_result")
      : [];
    const blocks =
      results.length === 0
        ? [
            { type: "thinking" as const, thinking: "Read the file first." },
            { type: "tool_use" as const, id: nextCall("toolu"), name: "Read", input: { file_path: "a.ts" } },
          ]
        : results.length === 1
          ? [
              { type: "tool_use" as const, id: nextCall("toolu"), name: "Grep", input: { pattern: "TODO" } },
              { type: "tool_use" as const, id: nextCall("toolu"), name: "Bash", input: { command: "ls" } },
            ]
          : [{ type: "text" as const, text: "Done." }];
    if (body.stream) {
      const { output_tokens: _, ...start } = usage;
      return sseResponse(
        anthropicStream(blocks, { ...start, output_tokens: 1 }, { output_tokens: 20 }, nextCall("msg")),
      );
    }
    return Response.json(anthropicMessage(blocks, usage, nextCall("msg")));
  }
  const openaiUsage = { input_tokens: 80, output_tokens: 10, input_tokens_details: { cached_tokens: 30 } };
  if (request.path.endsWith("/responses")) {
    const input = body.input as Json[] | string;
    const outputs = typeof input === "string" ? [] : input.filter((i) => i.type === "function_call_output");
    const lastIsOutput = typeof input !== "string" && input.at(-1)?.type === "function_call_output";
    const calls = !lastIsOutput
      ? [{ callId: nextCall("call"), name: "shell", arguments: '{"command":["ls"]}' }]
      : outputs.length === 1
        ? [
            { callId: nextCall("call"), name: "shell", arguments: '{"command":["cat","a"]}' },
            { callId: nextCall("call"), name: "shell", arguments: '{"command":["cat","b"]}' },
          ]
        : [];
    const text = calls.length ? null : "All done.";
    if (body.stream) return sseResponse(responsesStream(text, calls, openaiUsage, nextCall("resp")));
    const answer = responsesObject(text, calls, openaiUsage, nextCall("resp"));
    const reasoning = {
      type: "reasoning",
      id: nextCall("rs"),
      summary: [{ type: "summary_text", text: "**Planning**" }],
    };
    return Response.json({ ...answer, output: [reasoning, ...answer.output] });
  }
  const messages = body.messages as Json[];
  const last = messages.at(-1)!;
  const calls =
    last.role === "tool"
      ? []
      : [{ id: nextCall("call"), name: "get_weather", arguments: '{"city":"Paris"}' }];
  return Response.json(
    chatCompletion(calls.length ? null : "Sunny.", calls, {
      prompt_tokens: 40,
      completion_tokens: 5,
      total_tokens: 45,
    }),
  );
}

/** One prompt through the Anthropic SDK, following the agent's tool calls until it answers. */
async function claudeCodePrompt(client: Anthropic, prompt: string, stream: boolean) {
  const messages: Anthropic.MessageParam[] = [{ role: "user", content: prompt }];
  for (let turn = 0; turn < 5; turn++) {
    const message = stream
      ? await client.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 512, messages }).finalMessage()
      : await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 512, messages });
    const uses = message.content.filter((b) => b.type === "tool_use");
    if (uses.length === 0) return;
    messages.push({ role: "assistant", content: message.content });
    messages.push({
      role: "user",
      content: uses.map((u) => ({ type: "tool_result" as const, tool_use_id: u.id, content: "ok" })),
    });
  }
  throw new Error("the agent never finished");
}

/** One prompt through the OpenAI SDK's Responses API, the way Codex sends its turns. */
async function codexPrompt(client: OpenAI, prompt: string) {
  const input: OpenAI.Responses.ResponseInputItem[] = [{ role: "user", content: prompt }];
  for (let turn = 0; turn < 5; turn++) {
    const response = await client.responses.create({
      model: "gpt-5-codex",
      input,
      stream: turn === 1 ? undefined : false,
    });
    const calls = response.output.filter((o) => o.type === "function_call");
    if (calls.length === 0) return;
    for (const call of calls) {
      input.push({
        type: "function_call",
        call_id: call.call_id,
        name: call.name,
        arguments: call.arguments,
      });
    }
    for (const call of calls)
      input.push({ type: "function_call_output", call_id: call.call_id, output: "ok" });
  }
  throw new Error("the agent never finished");
}

async function chatPrompt(client: OpenAI, prompt: string) {
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: prompt }];
  for (let turn = 0; turn < 5; turn++) {
    const completion = await client.chat.completions.create({ model: "gpt-4o", messages });
    const message = completion.choices[0]!.message;
    if (!message.tool_calls?.length) return;
    messages.push(message);
    for (const call of message.tool_calls)
      messages.push({ role: "tool", tool_call_id: call.id, content: "14C" });
  }
  throw new Error("the agent never finished");
}

const CLAUDE_SESSION = "0b8f8a4e-claude-code-session";
const CODEX_SESSION = "0199ee1a-7c2b-7d33-9f0e-3b5c2a1d4e6f";

beforeAll(async () => {
  f = await startBridge();
  base = f.gw.url;
  f.upstream.handler = agent;
  alice = await createUserWithKey(base, f.gw.adminKey, "alice", "member");
  bob = await createUserWithKey(base, f.gw.adminKey, "bob", "member");
  carol = await createUserWithKey(base, f.gw.adminKey, "carol", "auditor");

  const claudeCode = new Anthropic({
    apiKey: alice.key,
    baseURL: f.anthropicBase,
    maxRetries: 0,
    defaultHeaders: {
      "user-agent": "claude-cli/2.0.14 (external, cli)",
      "x-claude-code-session-id": CLAUDE_SESSION,
    },
  });
  await claudeCodePrompt(claudeCode, "Fix the TODOs in a.ts", false);
  await settled(f.gw);
  await claudeCodePrompt(claudeCode, "Now run the tests", true);

  const codex = new OpenAI({
    apiKey: bob.key,
    baseURL: f.openaiBase,
    maxRetries: 0,
    defaultHeaders: { "user-agent": "codex_cli_rs/0.46.0 (Mac OS 15.0.1; arm64)", session_id: CODEX_SESSION },
  });
  await codexPrompt(codex, "list the files and show me the README");

  const plain = new OpenAI({ apiKey: alice.key, baseURL: f.openaiBase, maxRetries: 0 });
  await chatPrompt(plain, "Weather in Paris?");
  await settled(f.gw);
});
afterAll(() => f.stop());

const get = (path: string, key = f.gw.adminKey) => api(base, path, { key });

/** Each interception's own cost, as the interceptions list reports it. */
async function interceptionCosts(q = ""): Promise<Map<string, number | null>> {
  const res = await get(`/api/v2/aibridge/interceptions?limit=1000&q=${encodeURIComponent(q)}`);
  return new Map((res.json.results as Json[]).map((i) => [i.id as string, i.cost_micros as number | null]));
}

async function costOf(q: string): Promise<number> {
  let sum = 0;
  for (const cost of (await interceptionCosts(q)).values()) sum += cost ?? 0;
  return sum;
}

describe("sessions list", () => {
  test("one session per client session or thread, newest first, with its rollup", async () => {
    const res = await get("/api/v2/aibridge/sessions");
    expect(res.status).toBe(200);
    expect(res.json.count).toBe(3);
    const [chat, codex, claude] = res.json.sessions;
    expect(claude).toMatchObject({
      id: CLAUDE_SESSION,
      initiator: { id: alice.id, username: "alice" },
      providers: ["anthropic"],
      models: ["claude-sonnet-4-5"],
      client: "Claude Code",
      threads: 2,
      // 2 prompts × 3 actions, each 100 in / 20 out / 50 cache read / 10 cache write.
      token_usage_summary: {
        input_tokens: 600,
        output_tokens: 120,
        cache_read_input_tokens: 300,
        cache_write_input_tokens: 60,
      },
      last_prompt: "Now run the tests",
    });
    // The sum of its interceptions' priced usages (claude-sonnet-4-5 is in the price catalog).
    expect(claude.cost_micros).toBe(await costOf(`client:"Claude Code"`));
    expect(claude.cost_micros).toBeGreaterThan(0);
    expect(Date.parse(claude.ended_at)).toBeGreaterThanOrEqual(Date.parse(claude.started_at));
    expect(Date.parse(claude.last_active_at)).toBeGreaterThanOrEqual(Date.parse(claude.started_at));
    expect(codex).toMatchObject({
      id: CODEX_SESSION,
      initiator: { username: "bob" },
      client: "Codex",
      threads: 1,
      providers: ["openai"],
      models: ["gpt-5-codex"],
      token_usage_summary: { input_tokens: 150, output_tokens: 30, cache_read_input_tokens: 90 },
      last_prompt: "list the files and show me the README",
    });
    // No client session: the thread root's id is the session.
    expect(chat).toMatchObject({
      client: "Unknown",
      threads: 1,
      models: ["gpt-4o"],
      last_prompt: "Weather in Paris?",
    });
    const interceptions = await get(`/api/v2/aibridge/interceptions?q=model:gpt-4o`);
    const root = interceptions.json.results.find((i: Json) => i.thread_root_id === null);
    expect(chat.id).toBe(root.id);
  });

  test("filters: initiator, provider, model, client, session_id, time", async () => {
    const ids = async (q: string, key?: string) =>
      (await get(`/api/v2/aibridge/sessions?q=${encodeURIComponent(q)}`, key)).json.sessions.map(
        (s: Json) => s.id,
      );
    expect(await ids("initiator:bob")).toEqual([CODEX_SESSION]);
    expect(await ids("initiator:me", alice.key)).toHaveLength(2);
    expect(await ids("provider:anthropic")).toEqual([CLAUDE_SESSION]);
    expect(await ids("model:gpt-5-codex")).toEqual([CODEX_SESSION]);
    expect(await ids('client:"Claude Code"')).toEqual([CLAUDE_SESSION]);
    expect(await ids(`session_id:${CODEX_SESSION}`)).toEqual([CODEX_SESSION]);
    expect(await ids("started_after:2999-01-01T00:00:00Z")).toEqual([]);
    expect(await ids("started_before:2999-01-01T00:00:00Z")).toHaveLength(3);
    const filtered = await get(`/api/v2/aibridge/sessions?q=provider:openai&limit=1`);
    expect(filtered.json.count).toBe(2);
    expect(filtered.json.sessions).toHaveLength(1);
  });

  test("cursor and offset pages agree", async () => {
    const all = (await get("/api/v2/aibridge/sessions")).json.sessions.map((s: Json) => s.id);
    const first = await get("/api/v2/aibridge/sessions?limit=1");
    const second = await get(
      `/api/v2/aibridge/sessions?limit=1&after_session_id=${encodeURIComponent(first.json.sessions[0].id)}`,
    );
    const third = await get(
      `/api/v2/aibridge/sessions?limit=5&after_session_id=${encodeURIComponent(second.json.sessions[0].id)}`,
    );
    expect(
      [...first.json.sessions, ...second.json.sessions, ...third.json.sessions].map((s: Json) => s.id),
    ).toEqual(all);
    expect(second.json.count).toBe(3);
    expect(
      (await get("/api/v2/aibridge/sessions?limit=2&offset=1")).json.sessions.map((s: Json) => s.id),
    ).toEqual(all.slice(1));
  });

  test("validation: bare terms, unknown keys, cursors", async () => {
    const bare = await get("/api/v2/aibridge/sessions?q=alice");
    expect(bare.status).toBe(400);
    expect(bare.json.message).toBe("Invalid AI Bridge sessions search query.");
    expect(bare.json.validations[0].detail).toContain("no search key specified");
    expect((await get("/api/v2/aibridge/sessions?q=color:red")).status).toBe(400);
    expect((await get("/api/v2/aibridge/sessions?q=initiator:nobody")).status).toBe(400);
    expect((await get("/api/v2/aibridge/sessions?q=started_after:yesterday")).status).toBe(400);
    expect((await get("/api/v2/aibridge/sessions?limit=1001")).status).toBe(400);
    const both = await get(`/api/v2/aibridge/sessions?offset=1&after_session_id=${CODEX_SESSION}`);
    expect(both.status).toBe(400);
    expect(both.json.detail).toBe(
      "Cannot use both after_session_id and offset pagination in the same request.",
    );
    const unknown = await get("/api/v2/aibridge/sessions?after_session_id=x");
    expect(unknown.status).toBe(400);
    expect(unknown.json.validations).toEqual([
      { field: "after_session_id", detail: 'session "x" not found' },
    ]);
    expect((await get("/api/v2/aibridge/sessions?after_session_id=%00")).status).toBe(400);
  });
});

describe("RBAC (in SQL, count included)", () => {
  test("members see their own sessions; auditors and owners see all", async () => {
    const mine = await get("/api/v2/aibridge/sessions", alice.key);
    expect(mine.json.count).toBe(2);
    expect(mine.json.sessions.every((s: Json) => (s.initiator as Json).id === alice.id)).toBe(true);
    const bobs = await get("/api/v2/aibridge/sessions?q=initiator:alice", bob.key);
    expect(bobs.json).toEqual({ count: 0, sessions: [] });
    expect((await get("/api/v2/aibridge/sessions", carol.key)).json.count).toBe(3);
  });

  test("a member probing another user's session id gets 404, as for a session that does not exist", async () => {
    const probe = await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}`, bob.key);
    expect(probe.status).toBe(404);
    expect(probe.json).toEqual({ message: "Session not found." });
    expect((await get("/api/v2/aibridge/sessions/no-such-session")).json).toEqual({
      message: "Session not found.",
    });
    expect((await get(`/api/v2/aibridge/sessions?after_session_id=${CLAUDE_SESSION}`, bob.key)).status).toBe(
      400,
    );
    expect((await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}`, alice.key)).status).toBe(200);
    expect((await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}`, carol.key)).status).toBe(200);
  });

  test("without a key: 401", async () => {
    expect((await api(base, "/api/v2/aibridge/sessions")).status).toBe(401);
    expect((await api(base, "/api/v2/aibridge/clients")).status).toBe(401);
  });
});

describe("session detail", () => {
  test("threads oldest first, one agentic action per interception with thinking and tool calls", async () => {
    const res = await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}`);
    expect(res.status).toBe(200);
    const s = res.json;
    expect(s).toMatchObject({ id: CLAUDE_SESSION, client: "Claude Code", last_prompt: "Now run the tests" });
    expect(s.threads).toHaveLength(2);
    const [fix, run] = s.threads;
    expect(fix).toMatchObject({
      prompt: "Fix the TODOs in a.ts",
      model: "claude-sonnet-4-5",
      provider: "anthropic",
      credential_kind: "centralized",
      token_usage: {
        input_tokens: 300,
        output_tokens: 60,
        cache_read_input_tokens: 150,
        cache_write_input_tokens: 30,
      },
    });
    expect(run.prompt).toBe("Now run the tests");
    for (const thread of [fix, run]) {
      const actions = thread.agentic_actions;
      expect(actions.map((a: Json) => a.status)).toEqual([200, 200, 200]);
      expect(actions[0].interception_id).toBe(thread.id);
      expect(actions[0].thinking).toEqual([{ text: "Read the file first." }]);
      expect(actions[0].tool_calls.map((c: Json) => c.tool)).toEqual(["Read"]);
      expect(actions[0].tool_calls[0].input).toBe('{"file_path":"a.ts"}');
      expect(actions[1].tool_calls.map((c: Json) => c.tool)).toEqual(["Grep", "Bash"]);
      expect(actions[2]).toMatchObject({ tool_calls: [], thinking: [], error_type: null });
      const costs = await interceptionCosts();
      for (const action of actions) expect(action.cost_micros).toBe(costs.get(action.interception_id)!);
      expect(thread.cost_micros).toBe(
        actions.reduce((sum: number, a: Json) => sum + (a.cost_micros as number), 0),
      );
    }
    expect(Date.parse(fix.started_at)).toBeLessThan(Date.parse(run.started_at));
  });

  test("the thread chain is visible on the interceptions too", async () => {
    const list = await get(`/api/v2/aibridge/interceptions?q=${encodeURIComponent('client:"Claude Code"')}`);
    const rows = (list.json.results as Json[]).reverse();
    expect(rows).toHaveLength(6);
    const [root, second, third] = rows;
    expect(root).toMatchObject({
      thread_parent_id: null,
      thread_root_id: null,
      session_id: CLAUDE_SESSION,
      status: 200,
    });
    expect(second).toMatchObject({ thread_parent_id: root!.id, thread_root_id: root!.id, error_type: null });
    expect(third).toMatchObject({
      thread_parent_id: second!.id,
      thread_root_id: root!.id,
      error_message: null,
    });
    expect(root!.model_thoughts).toMatchObject([
      { content: "Read the file first.", metadata: { source: "thinking" } },
    ]);
  });

  test("Codex: one thread; reasoning summaries are its thinking", async () => {
    const s = (await get(`/api/v2/aibridge/sessions/${CODEX_SESSION}`, bob.key)).json;
    expect(s.threads).toHaveLength(1);
    const actions = s.threads[0].agentic_actions;
    expect(actions.map((a: Json) => (a.tool_calls as Json[]).length)).toEqual([1, 2, 0]);
    expect(actions[0].thinking).toEqual([{ text: "**Planning**" }]);
  });

  test("thread pages: limit, after_id, before_id", async () => {
    const all = (await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}`)).json.threads.map(
      (t: Json) => t.id,
    );
    const first = await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}?limit=1`);
    expect(first.json.threads.map((t: Json) => t.id)).toEqual([all[0]]);
    const after = await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}?limit=1&after_id=${all[0]}`);
    expect(after.json.threads.map((t: Json) => t.id)).toEqual([all[1]]);
    const before = await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}?before_id=${all[1]}`);
    expect(before.json.threads.map((t: Json) => t.id)).toEqual([all[0]]);
    expect(
      (await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}?after_id=${all[1]}`)).json.threads,
    ).toEqual([]);
  });

  test("validation", async () => {
    const both = await get(
      `/api/v2/aibridge/sessions/${CLAUDE_SESSION}?after_id=${alice.id}&before_id=${alice.id}`,
    );
    expect(both.status).toBe(400);
    expect(both.json.detail).toBe("Cannot use both after_id and before_id in the same request.");
    expect((await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}?limit=201`)).status).toBe(400);
    expect((await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}?limit=-1`)).status).toBe(400);
    expect((await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}?after_id=nope`)).status).toBe(400);
    const unknown = await get(`/api/v2/aibridge/sessions/${CLAUDE_SESSION}?after_id=${alice.id}`);
    expect(unknown.status).toBe(400);
    expect(unknown.json.validations[0].field).toBe("after_id");
    expect((await get("/api/v2/aibridge/sessions/a%00b")).status).toBe(400);
  });
});

describe("clients", () => {
  test("distinct clients in byte order, by prefix, per reader", async () => {
    expect((await get("/api/v2/aibridge/clients")).json).toEqual(["Claude Code", "Codex", "Unknown"]);
    expect((await get("/api/v2/aibridge/clients?q=C")).json).toEqual(["Claude Code", "Codex"]);
    expect((await get("/api/v2/aibridge/clients?q=client:Co")).json).toEqual(["Codex"]);
    expect((await get("/api/v2/aibridge/clients?q=c")).json).toEqual([]);
    expect((await get("/api/v2/aibridge/clients?q=C%25")).json).toEqual([]);
    expect((await get("/api/v2/aibridge/clients?limit=1&offset=1")).json).toEqual(["Codex"]);
    expect((await get("/api/v2/aibridge/clients", bob.key)).json).toEqual(["Codex"]);
    expect((await get("/api/v2/aibridge/clients", alice.key)).json).toEqual(["Claude Code", "Unknown"]);
    expect((await get("/api/v2/aibridge/clients?q=model:x")).status).toBe(400);
  });
});
