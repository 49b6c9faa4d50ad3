// SPEC §14: status, error_type and error_message of every ended interception; model thoughts; the
// recording controls. Through the real gateway against a mock upstream.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import { type BridgeFixture, interceptionRows, query, settled, startBridge } from "../helpers/bridge";
import { anthropicStream, responsesObject, sseResponse } from "../helpers/provider-wire";

const json = { "content-type": "application/json" };

async function post(f: BridgeFixture, path: string, body: unknown, signal?: AbortSignal) {
  const provider = path.startsWith("/v1/messages") ? f.anthropicBase : f.openaiBase.replace(/\/v1$/, "");
  return fetch(`${provider}${path}`, {
    method: "POST",
    headers: { ...json, authorization: `Bearer ${f.gw.adminKey}` },
    body: JSON.stringify(body),
    signal,
  });
}

async function thoughtsOf(f: BridgeFixture, id: string) {
  return query<{ content: string; metadata: unknown }>(
    f.gw,
    `SELECT content, metadata FROM aibridge_model_thoughts WHERE interception_id = '${id}' ORDER BY created_at, id`,
  );
}

const thinkingBlocks = [
  { type: "thinking" as const, thinking: "I should read the file first." },
  { type: "tool_use" as const, id: "toolu_secret_args", name: "Read", input: { file_path: "/etc/passwd" } },
];
const messagesBody = (stream: boolean) => ({
  model: "claude-sonnet-4-5",
  max_tokens: 100,
  stream,
  messages: [{ role: "user", content: "read it" }],
});

describe("outcomes", () => {
  let f: BridgeFixture;
  beforeAll(async () => {
    f = await startBridge();
  });
  afterAll(() => f.stop());

  test("success: the relayed status, no error", async () => {
    f.upstream.handler = () =>
      sseResponse(anthropicStream(thinkingBlocks, { input_tokens: 5 }, { output_tokens: 9 }));
    const res = await post(f, "/v1/messages", messagesBody(true));
    await res.text();
    const id = res.headers.get("x-aibridge-interception-id")!;
    await settled(f.gw);
    const { interception } = await interceptionRows(f.gw, id);
    expect(interception).toMatchObject({ status: 200, error_type: null, error_message: null });
    expect(await thoughtsOf(f, id)).toEqual([
      { content: "I should read the file first.", metadata: { source: "thinking" } },
    ]);
  });

  test("upstream 4xx/5xx: the status, its type and the provider's message, keys masked", async () => {
    const cases = [
      [429, { error: { message: "Rate limit reached for gpt-4o", type: "requests" } }, "rate_limited"],
      [401, { error: { message: "Incorrect API key provided: sk-proj-abcdefgh1234567890" } }, "unauthorized"],
      [500, { error: { message: "The server had an error" } }, "server_error"],
      [400, { error: { message: "Invalid 'messages': empty array" } }, "bad_request"],
    ] as const;
    for (const [status, body, type] of cases) {
      f.upstream.handler = () => Response.json(body, { status });
      const res = await post(f, "/v1/chat/completions", {
        model: "gpt-4o",
        messages: [{ role: "user", content: "x" }],
      });
      expect(res.status).toBe(status);
      const id = res.headers.get("x-aibridge-interception-id")!;
      await settled(f.gw);
      const { interception } = await interceptionRows(f.gw, id);
      expect(interception).toMatchObject({ status, error_type: type });
      expect(interception.error_message).toBe(body.error.message.replace(/sk-proj-\w+/, "[redacted]"));
    }
  });

  test("Anthropic 529 overloaded", async () => {
    f.upstream.handler = () =>
      Response.json(
        { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
        { status: 529 },
      );
    const res = await post(f, "/v1/messages", messagesBody(false));
    const id = res.headers.get("x-aibridge-interception-id")!;
    await settled(f.gw);
    expect((await interceptionRows(f.gw, id)).interception).toMatchObject({
      status: 529,
      error_type: "overloaded",
      error_message: "Overloaded",
    });
  });
});

test("a connection failure is a 502 server_error naming the cause", async () => {
  const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = closed.port;
  closed.stop(true);
  const f = await startBridge({ openaiBaseUrl: `http://127.0.0.1:${port}/v1/` });
  try {
    const res = await post(f, "/v1/chat/completions", {
      model: "gpt-4o",
      messages: [{ role: "user", content: "x" }],
    });
    expect(res.status).toBe(502);
    const id = res.headers.get("x-aibridge-interception-id")!;
    await settled(f.gw);
    const { interception } = await interceptionRows(f.gw, id);
    expect(interception).toMatchObject({ status: 502, error_type: "server_error" });
    expect(interception.error_message).toStartWith("could not reach the upstream: ");
  } finally {
    await f.stop();
  }
});

test("recording controls off: rows kept, prompt, tool input and thought text stored as empty", async () => {
  const f = await startBridge({ recordPrompts: false, recordToolInputs: false, recordThoughts: false });
  try {
    const answer = responsesObject(
      null,
      [{ callId: "call_1", name: "shell", arguments: '{"cmd":"cat .env"}' }],
      {
        input_tokens: 3,
        output_tokens: 4,
      },
    );
    const reasoning = {
      type: "reasoning",
      id: "rs_1",
      summary: [{ type: "summary_text", text: "secret plan" }],
    };
    f.upstream.handler = () => Response.json({ ...answer, output: [reasoning, ...answer.output] });
    const res = await post(f, "/v1/responses", { model: "gpt-5-codex", input: "my private prompt" });
    expect(res.status).toBe(200);
    const id = res.headers.get("x-aibridge-interception-id")!;
    await settled(f.gw);
    const rows = await interceptionRows(f.gw, id);
    expect(rows.prompts.map((p) => p.prompt)).toEqual([""]);
    expect(rows.tools.map((t) => [t.tool, t.provider_tool_call_id, t.input])).toEqual([
      ["shell", "call_1", ""],
    ]);
    expect(await thoughtsOf(f, id)).toEqual([{ content: "", metadata: { source: "reasoning_summary" } }]);
  } finally {
    await f.stop();
  }
});
