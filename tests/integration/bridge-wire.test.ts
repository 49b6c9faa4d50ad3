import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";

import {
  ANTHROPIC_KEY,
  type BridgeFixture,
  interceptionRows,
  OPENAI_KEY,
  settled,
  startBridge,
} from "../helpers/bridge";
import { chunkedResponse, controlledStream, sse } from "../helpers/mock-upstream";

let f: BridgeFixture;
let key: string;
const chatBody = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
const chatJson = {
  id: "chatcmpl-1",
  object: "chat.completion",
  model: "gpt-4o",
  choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
};
const messagesBody = JSON.stringify({
  model: "claude-sonnet-4-5",
  max_tokens: 10,
  messages: [{ role: "user", content: "hi" }],
});

beforeAll(async () => {
  f = await startBridge();
  key = f.gw.adminKey;
  f.upstream.handler = () => Response.json(chatJson);
});
afterAll(() => f.stop());

const post = (url: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

function noAibridgeKeyUpstream(headers: Headers) {
  for (const [, value] of headers) expect(value).not.toContain(key.slice(11));
  expect(headers.has("x-coder-token")).toBe(false);
}

describe("credentials and headers (SPEC §5.2)", () => {
  test("centralized OpenAI: the client's Authorization is replaced by the configured key", async () => {
    const res = await post(`${f.openaiBase}/chat/completions?trace=1&x=%20y`, chatBody, {
      authorization: `Bearer ${key}`,
      "openai-beta": "assistants=v2",
      "user-agent": "codex_cli_rs/0.50.0",
      "x-custom": "kept",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(chatJson);
    const got = f.upstream.last;
    expect(got.path).toBe("/openai/v1/chat/completions");
    expect(got.search).toBe("?trace=1&x=%20y");
    expect(got.headers.get("authorization")).toBe(`Bearer ${OPENAI_KEY}`);
    expect(got.headers.get("openai-beta")).toBe("assistants=v2");
    expect(got.headers.get("user-agent")).toBe("codex_cli_rs/0.50.0");
    expect(got.headers.get("x-custom")).toBe("kept");
    expect(got.headers.has("x-api-key")).toBe(false);
    noAibridgeKeyUpstream(got.headers);
    expect(JSON.parse(got.body)).toEqual(JSON.parse(chatBody));
    const id = res.headers.get("x-aibridge-interception-id")!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("server-timing")).toMatch(/gateway;dur=[\d.]+, upstream;dur=[\d.]+/);
    await settled(f.gw);
    const { interception } = await interceptionRows(f.gw, id);
    expect(interception).toMatchObject({
      provider: "openai",
      model: "gpt-4o",
      credential_kind: "centralized",
      credential_hint: "sk-o...cdef",
      api_key_id: key.slice(0, 10),
    });
  });

  test("centralized Anthropic with X-Api-Key: base URL prefix kept, anthropic headers forwarded", async () => {
    f.upstream.handler = () =>
      Response.json({
        id: "msg_1",
        type: "message",
        role: "assistant",
        content: [],
        model: "claude-sonnet-4-5",
        usage: { input_tokens: 1, output_tokens: 1 },
      });
    const res = await post(`${f.anthropicBase}/v1/messages?beta=true`, messagesBody, {
      "x-api-key": key,
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "interleaved-thinking-2025-05-14",
    });
    expect(res.status).toBe(200);
    const got = f.upstream.last;
    expect(got.path).toBe("/anthropic-prefix/v1/messages");
    expect(got.search).toBe("?beta=true");
    expect(got.headers.get("x-api-key")).toBe(ANTHROPIC_KEY);
    expect(got.headers.has("authorization")).toBe(false);
    expect(got.headers.get("anthropic-version")).toBe("2023-06-01");
    expect(got.headers.get("anthropic-beta")).toBe("interleaved-thinking-2025-05-14");
    noAibridgeKeyUpstream(got.headers);
  });

  test("BYOK: X-Coder-Token plus the client's own credential, which goes upstream untouched", async () => {
    f.upstream.handler = () => Response.json(chatJson);
    const res = await post(`${f.openaiBase}/chat/completions`, chatBody, {
      "x-coder-token": key,
      authorization: "Bearer sk-my-own-openai-key-1234567890",
    });
    expect(res.status).toBe(200);
    expect(f.upstream.last.headers.get("authorization")).toBe("Bearer sk-my-own-openai-key-1234567890");
    noAibridgeKeyUpstream(f.upstream.last.headers);
    await settled(f.gw);
    const { interception } = await interceptionRows(f.gw, res.headers.get("x-aibridge-interception-id")!);
    expect(interception).toMatchObject({ credential_kind: "byok", credential_hint: "sk-m...7890" });

    const anthropic = await post(`${f.anthropicBase}/v1/messages`, messagesBody, {
      "x-coder-token": key,
      "x-api-key": "sk-ant-mine-abcdefghijklmn",
    });
    expect(anthropic.status).toBe(200);
    expect(f.upstream.last.headers.get("x-api-key")).toBe("sk-ant-mine-abcdefghijklmn");
  });

  test("X-Coder-Token without own credentials gets the configured key and is centralized", async () => {
    const res = await post(`${f.openaiBase}/chat/completions`, chatBody, { "x-coder-token": key });
    expect(res.status).toBe(200);
    expect(f.upstream.last.headers.get("authorization")).toBe(`Bearer ${OPENAI_KEY}`);
    await settled(f.gw);
    const { interception } = await interceptionRows(f.gw, res.headers.get("x-aibridge-interception-id")!);
    expect(interception.credential_kind).toBe("centralized");
  });

  test("missing or invalid key → 401 in the provider's shape; nothing forwarded", async () => {
    const before = f.upstream.received.length;
    const openai = await post(`${f.openaiBase}/chat/completions`, chatBody);
    expect(openai.status).toBe(401);
    expect((await openai.json()).error.type).toBe("invalid_request_error");
    const anthropic = await post(`${f.anthropicBase}/v1/messages`, messagesBody, {
      "x-api-key": "sk-ant-real-looking-but-not-ours",
    });
    expect(anthropic.status).toBe(401);
    expect(await anthropic.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    expect(f.upstream.received.length).toBe(before);
  });
});

describe("routes (SPEC §4.1, §6)", () => {
  test("unknown route: 401 without a key, 404 in provider shape with one; unknown provider; wrong method", async () => {
    expect((await post(`${f.openaiBase}/embeddings`, chatBody)).status).toBe(401);
    const notFound = await post(`${f.openaiBase}/embeddings`, chatBody, { authorization: `Bearer ${key}` });
    expect(notFound.status).toBe(404);
    expect((await notFound.json()).error.code).toBe("not_found");
    const anth = await post(`${f.anthropicBase}/v1/complete`, "{}", { "x-api-key": key });
    expect(await anth.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    const provider = await post(`${f.gw.url}/api/v2/aibridge/gemini/v1/x`, "{}", {
      authorization: `Bearer ${key}`,
    });
    expect(provider.status).toBe(404);
    expect(await provider.json()).toEqual({ message: "unknown provider gemini" });
    const method = await fetch(`${f.openaiBase}/chat/completions`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(method.status).toBe(405);
    expect((await method.json()).error).toBeDefined();
  });

  test("Responses background: true → 501 with the SPEC body", async () => {
    const res = await post(
      `${f.openaiBase}/responses`,
      JSON.stringify({ model: "gpt-5", input: "x", background: true }),
      {
        authorization: `Bearer ${key}`,
      },
    );
    expect(res.status).toBe(501);
    expect(await res.json()).toEqual({
      code: "501",
      message: "background requests are currently not supported by AI Bridge",
    });
  });

  test("passthrough routes are forwarded with credentials, not recorded", async () => {
    f.upstream.handler = (r) => Response.json({ object: "list", data: [], path: r.path });
    const count = f.gw.server.metrics.passthroughTotal;
    const before = count.get({ provider: "openai", status: "200" });
    const models = await fetch(`${f.openaiBase}/models?limit=2`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(models.status).toBe(200);
    expect(await models.json()).toMatchObject({ path: "/openai/v1/models" });
    expect(f.upstream.last.search).toBe("?limit=2");
    expect(f.upstream.last.headers.get("authorization")).toBe(`Bearer ${OPENAI_KEY}`);
    expect(models.headers.has("x-aibridge-interception-id")).toBe(false);
    expect(count.get({ provider: "openai", status: "200" })).toBe(before + 1);
    const countTokens = await post(`${f.anthropicBase}/v1/messages/count_tokens`, messagesBody, {
      "x-api-key": key,
    });
    expect(countTokens.status).toBe(200);
    expect(f.upstream.last.path).toBe("/anthropic-prefix/v1/messages/count_tokens");
    expect(f.upstream.last.body).toBe(messagesBody);
    const events = await post(`${f.anthropicBase}/api/event_logging/batch`, "[]", { "x-api-key": key });
    expect(events.status).toBe(200);
  });
});

describe("bad input never reaches upstream", () => {
  test.each([
    ["invalid JSON", "{not json", 400],
    ["empty body", "", 400],
    ["a JSON array", "[1,2]", 400],
    ["a JSON string", '"x"', 400],
    ["missing model", JSON.stringify({ messages: [] }), 400],
    ["non-string model", JSON.stringify({ model: 4, messages: [] }), 400],
  ])("%s → %d in provider shape", async (_name, body, status) => {
    const before = f.upstream.received.length;
    const openai = await post(`${f.openaiBase}/chat/completions`, body, { authorization: `Bearer ${key}` });
    expect(openai.status).toBe(status);
    expect((await openai.json()).error.type).toBe("invalid_request_error");
    const anthropic = await post(`${f.anthropicBase}/v1/messages`, body, { "x-api-key": key });
    expect(anthropic.status).toBe(status);
    expect((await anthropic.json()).type).toBe("error");
    expect(f.upstream.received.length).toBe(before);
  });
  test("a body over 32 MiB → 413", async () => {
    const big = new Uint8Array(33 * 1024 * 1024).fill(32);
    const res = await post(`${f.openaiBase}/chat/completions`, big, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(413);
  });
});

describe("real-time relay (SPEC §8.1)", () => {
  test("each SSE event reaches the client before the upstream sends the next", async () => {
    const stream = controlledStream();
    f.upstream.handler = () => stream.response;
    // Bun sends response headers with the first body chunk, so the first event goes out before we await.
    const pending = post(
      `${f.openaiBase}/chat/completions`,
      JSON.stringify({ model: "gpt-4o", stream: true, messages: [] }),
      {
        authorization: `Bearer ${key}`,
      },
    );
    stream.write('data: {"id":"c1","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n');
    const res = await pending;
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    // The mock has not written the second event yet: the first arrived on its own.
    expect(first).toBe('data: {"id":"c1","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n');
    stream.write("data: [DONE]\n\n");
    stream.close();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(rest).toBe("data: [DONE]\n\n");
  });

  test("bytes arrive exactly as sent, whatever the chunk boundaries (inside events and UTF-8 characters)", async () => {
    const text = sse([
      {
        event: "message_start",
        data: { type: "message_start", message: { id: "msg_é", usage: { input_tokens: 3 } } },
      },
      {
        event: "content_block_delta",
        data: { type: "content_block_delta", delta: { type: "text_delta", text: "héllo 🌍 世界" } },
      },
      { event: "message_stop", data: { type: "message_stop" } },
    ]);
    const bytes = new TextEncoder().encode(text);
    for (const seed of [1, 2, 3, 5, 7, 11]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; ) {
        const size = 1 + ((i * seed + seed) % 13);
        chunks.push(bytes.slice(i, i + size));
        i += size;
      }
      f.upstream.handler = () => chunkedResponse(chunks, { "content-type": "text/event-stream" });
      const res = await post(
        `${f.anthropicBase}/v1/messages`,
        JSON.stringify({ model: "claude-x", stream: true, messages: [] }),
        {
          "x-api-key": key,
        },
      );
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    }
  });

  test("a gzip-encoded upstream reaches the client decoded, without a stale Content-Encoding", async () => {
    const body = JSON.stringify(chatJson);
    f.upstream.handler = () =>
      new Response(gzipSync(body), {
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
      });
    const res = await post(`${f.openaiBase}/chat/completions`, chatBody, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(await res.text()).toBe(body);
    expect(f.upstream.last.headers.get("accept-encoding")).not.toBe("identity-from-client");
  });

  test("client disconnect aborts the upstream request and still ends the interception", async () => {
    let upstreamCancelled!: () => void;
    const cancelled = new Promise<void>((resolve) => {
      upstreamCancelled = resolve;
    });
    f.upstream.handler = () =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('data: {"id":"c2","choices":[]}\n\n'));
          },
          cancel() {
            upstreamCancelled();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    const abort = new AbortController();
    const res = await fetch(`${f.openaiBase}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: "gpt-4o", stream: true, messages: [] }),
      signal: abort.signal,
    });
    const id = res.headers.get("x-aibridge-interception-id")!;
    await res.body!.getReader().read();
    abort.abort();
    await cancelled;
    await settled(f.gw);
    const { interception } = await interceptionRows(f.gw, id);
    expect(interception.ended_at).not.toBeNull();
    // The client had been sent a 200 before it went away.
    expect(interception).toMatchObject({ status: 200, error_type: "client_disconnected" });
    expect(f.gw.server.concurrency.inFlight).toBe(0);
  });
});

describe("upstream failures", () => {
  test("upstream errors are relayed with status, Retry-After, rate-limit headers and body", async () => {
    const body = { type: "error", error: { type: "rate_limit_error", message: "slow down" } };
    f.upstream.handler = () =>
      Response.json(body, {
        status: 429,
        headers: {
          "retry-after": "7",
          "anthropic-ratelimit-requests-remaining": "0",
          "x-ratelimit-limit-requests": "50",
        },
      });
    const res = await post(`${f.anthropicBase}/v1/messages`, messagesBody, { "x-api-key": key });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(res.headers.get("anthropic-ratelimit-requests-remaining")).toBe("0");
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("50");
    expect(await res.json()).toEqual(body);
    const id = res.headers.get("x-aibridge-interception-id")!;
    await settled(f.gw);
    expect((await interceptionRows(f.gw, id)).interception.ended_at).not.toBeNull();
  });

  test("a connection failure before any byte → 502 in provider shape, never an empty 200", async () => {
    const dead = await startBridge({
      openaiBaseUrl: "http://127.0.0.1:1/v1/",
      anthropicBaseUrl: "http://127.0.0.1:1/",
    });
    try {
      const res = await post(`${dead.openaiBase}/chat/completions`, chatBody, {
        authorization: `Bearer ${dead.gw.adminKey}`,
      });
      expect(res.status).toBe(502);
      expect((await res.json()).error.type).toBe("server_error");
      const id = res.headers.get("x-aibridge-interception-id")!;
      const anth = await post(`${dead.anthropicBase}/v1/messages`, messagesBody, {
        "x-api-key": dead.gw.adminKey,
      });
      expect(anth.status).toBe(502);
      expect((await anth.json()).error.type).toBe("api_error");
      await settled(dead.gw);
      expect((await interceptionRows(dead.gw, id)).interception.ended_at).not.toBeNull();
    } finally {
      await dead.stop();
    }
  });

  test("a mid-stream upstream failure reaches the client and the interception is still ended", async () => {
    const stream = controlledStream();
    f.upstream.handler = () => stream.response;
    const pending = post(
      `${f.openaiBase}/chat/completions`,
      JSON.stringify({ model: "gpt-4o", stream: true, messages: [] }),
      {
        authorization: `Bearer ${key}`,
      },
    );
    stream.write('data: {"id":"c3","choices":[]}\n\n');
    const res = await pending;
    const id = res.headers.get("x-aibridge-interception-id")!;
    const reader = res.body!.getReader();
    await reader.read();
    stream.error(new Error("upstream died"));
    let failed = false;
    try {
      while (!(await reader.read()).done) {}
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    await settled(f.gw);
    expect((await interceptionRows(f.gw, id)).interception.ended_at).not.toBeNull();
  });
});

test("a JSON answer cut off mid-body → 502 in provider shape, the interception ended with the error", async () => {
  // A raw upstream: complete headers promising 1 000 bytes, six of them, then the connection closes.
  const upstream = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket) {
        socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"id":');
      },
    },
  });
  const g = await startBridge({ openaiBaseUrl: `http://127.0.0.1:${upstream.port}/v1/` });
  try {
    const res = await post(`${g.openaiBase}/chat/completions`, chatBody, {
      authorization: `Bearer ${g.gw.adminKey}`,
    });
    expect(res.status).toBe(502);
    expect((await res.json()).error).toMatchObject({ type: "server_error" });
    const id = res.headers.get("x-aibridge-interception-id")!;
    await settled(g.gw);
    const rows = await interceptionRows(g.gw, id);
    expect(rows.interception.ended_at).not.toBeNull();
    expect(rows.usages).toHaveLength(0);
    // The status recorded is the one the client got.
    expect(rows.interception).toMatchObject({ status: 502, error_type: "server_error" });
    const line = g.gw.logs.find((l) => l.includes(id))!;
    expect(JSON.parse(line)).toMatchObject({
      status: 502,
      error: "upstream stream failed",
      error_type: "server_error",
    });
  } finally {
    await g.stop();
    upstream.stop(true);
  }
});

describe("gateway options", () => {
  test("--aibridge-allow-byok=false refuses own credentials with 403; actor headers when enabled", async () => {
    const g = await startBridge({ allowByok: false, sendActorHeaders: true });
    try {
      g.upstream.handler = () => Response.json(chatJson);
      const byok = await post(`${g.openaiBase}/chat/completions`, chatBody, {
        "x-coder-token": g.gw.adminKey,
        authorization: "Bearer sk-own",
      });
      expect(byok.status).toBe(403);
      expect(g.upstream.received).toHaveLength(0);
      const ok = await post(`${g.openaiBase}/chat/completions`, chatBody, { "x-coder-token": g.gw.adminKey });
      expect(ok.status).toBe(200);
      expect(g.upstream.last.headers.get("x-ai-bridge-actor-metadata-username")).toBe("admin");
      expect(g.upstream.last.headers.get("x-ai-bridge-actor-id")).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await g.stop();
    }
  });
  test("a provider with no key and no client credentials → 502 naming the option", async () => {
    const g = await startBridge({ openaiKey: "" });
    try {
      const res = await post(`${g.openaiBase}/chat/completions`, chatBody, {
        authorization: `Bearer ${g.gw.adminKey}`,
      });
      expect(res.status).toBe(502);
      expect((await res.json()).error.message).toContain("--aibridge-openai-key");
      expect(g.upstream.received).toHaveLength(0);
    } finally {
      await g.stop();
    }
  });
});
