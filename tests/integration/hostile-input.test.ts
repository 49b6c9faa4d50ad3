import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import { type BridgeFixture, OPENAI_KEY, query, settled, startBridge } from "../helpers/bridge";
import { createUserWithKey } from "../helpers/http";

// SPEC §13: what a client sends can refuse its own request, never crash the process, reach upstream
// or the records, or hurt another client.
let f: BridgeFixture;
let key: string;
beforeAll(async () => {
  // A short idle timeout for request bodies (30 s in production), so that no test waits long.
  f = await startBridge({ circuitBreakerEnabled: true }, { bodyIdleTimeoutMs: 2000 });
  key = f.gw.adminKey;
  f.upstream.handler = () =>
    Response.json({ id: "c", choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } });
});
afterAll(() => f.stop());

const interceptions = async () =>
  Number((await query(f.gw, "SELECT count(*) AS n FROM aibridge_interceptions"))[0].n);

const chat = (body: string, headers: Record<string, string> = { authorization: `Bearer ${key}` }) =>
  fetch(`${f.openaiBase}/chat/completions`, { method: "POST", headers, body });
const messages = (body: string) =>
  fetch(`${f.anthropicBase}/v1/messages`, { method: "POST", headers: { "x-api-key": key }, body });

describe("model names and nesting depth", () => {
  const BAD_MODELS: [string, string][] = [
    ["257 characters", "m".repeat(257)],
    ["2 000 characters", "m".repeat(2000)],
    ["a NUL", "gpt-4o\u0000"],
    ["a newline", "gpt-4o\nX-Injected: 1"],
    ["DEL", "gpt\u007f"],
    ["a lone surrogate", "gpt-\ud800"],
  ];

  test("a bad model name → 400 invalid_request_error in the provider's shape; nothing forwarded or recorded", async () => {
    await settled(f.gw);
    const before = await interceptions();
    const forwarded = f.upstream.received.length;
    for (const [what, model] of BAD_MODELS) {
      const body = JSON.stringify({ model, max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
      const openai = await chat(body);
      expect({ what, status: openai.status }).toEqual({ what, status: 400 });
      expect((await openai.json()).error).toMatchObject({ type: "invalid_request_error" });
      const anthropic = await messages(body);
      expect({ what, status: anthropic.status }).toEqual({ what, status: 400 });
      expect(await anthropic.json()).toMatchObject({
        type: "error",
        error: { type: "invalid_request_error" },
      });
      expect(anthropic.headers.get("x-should-retry")).toBe("false");
    }
    await settled(f.gw);
    expect(f.upstream.received.length).toBe(forwarded);
    expect(await interceptions()).toBe(before);
  });

  test("256 characters, accents and astral characters are a fine model name", async () => {
    for (const model of ["m".repeat(256), "modèle-😀".repeat(20)]) {
      const res = await chat(JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }));
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(JSON.parse(f.upstream.last.body).model).toBe("modèle-😀".repeat(20));
  });

  test("a body nested 40 000 levels deep → 400 before anything is recorded or forwarded; 512 levels pass", async () => {
    await settled(f.gw);
    const before = await interceptions();
    const forwarded = f.upstream.received.length;
    const nested = (levels: number) =>
      `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"metadata":${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}}`;
    for (const levels of [513, 40_000]) {
      const res = await chat(nested(levels));
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toContain("512");
      const anthropic = await messages(nested(levels));
      expect(anthropic.status).toBe(400);
      await anthropic.arrayBuffer();
    }
    await settled(f.gw);
    expect(await interceptions()).toBe(before);
    expect(f.upstream.received.length).toBe(forwarded);

    const ok = await chat(nested(512));
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    expect(f.upstream.received.length).toBe(forwarded + 1);
    await settled(f.gw);
    expect(await interceptions()).toBe(before + 1);
  });

  test("another user's requests are untouched while one floods the gateway with bad bodies", async () => {
    const other = await createUserWithKey(f.gw.url, key, "bystander", "member");
    const good = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    const bad = [
      JSON.stringify({ model: "x\u0000", messages: [] }),
      `{"model":"gpt-4o","x":${"[".repeat(50_000)}${"]".repeat(50_000)}}`,
      JSON.stringify({ model: "\udfff", messages: [] }),
    ];
    const flood = Array.from({ length: 30 }, (_, i) => chat(bad[i % bad.length]!));
    const bystander = Array.from({ length: 10 }, () => chat(good, { authorization: `Bearer ${other.key}` }));
    const [floodAnswers, bystanderAnswers] = await Promise.all([Promise.all(flood), Promise.all(bystander)]);
    expect(new Set(floodAnswers.map((r) => r.status))).toEqual(new Set([400]));
    expect(new Set(bystanderAnswers.map((r) => r.status))).toEqual(new Set([200]));
    await Promise.all([...floodAnswers, ...bystanderAnswers].map((r) => r.arrayBuffer()));
    expect(f.gw.server.concurrency.inFlight).toBe(0);
  });
});

describe("aibridge keys never go upstream (SPEC §13 Keys)", () => {
  /** What the upstream last received that holds one of `keys`. */
  const sentHolding = (...keys: string[]) =>
    [...f.upstream.last.headers.entries()].filter(([, value]) => keys.some((k) => value.includes(k)));
  const recordedCredential = async (id: string) => {
    await settled(f.gw);
    const [row] = await query(
      f.gw,
      `SELECT credential_kind, credential_hint FROM aibridge_interceptions WHERE id = '${id}'`,
    );
    return row;
  };

  test("X-Coder-Token: K with X-Api-Key: K → the configured key goes upstream, recorded as centralized", async () => {
    const body = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    const res = await chat(body, { "x-coder-token": key, "x-api-key": key, "x-note": `copy of ${key}` });
    expect(res.status).toBe(200);
    const id = res.headers.get("x-aibridge-interception-id")!;
    await res.arrayBuffer();
    expect(sentHolding(key)).toEqual([]);
    expect(f.upstream.last.headers.get("authorization")).toBe(`Bearer ${OPENAI_KEY}`);
    expect(await recordedCredential(id)).toEqual({
      credential_kind: "centralized",
      credential_hint: "sk-o...cdef",
    });
  });

  test("another user's well-formed key in Authorization is dropped too; a real provider key next to it is BYOK", async () => {
    const other = await createUserWithKey(f.gw.url, key, "neighbour", "member");
    const res = await fetch(`${f.anthropicBase}/v1/messages`, {
      method: "POST",
      headers: {
        "x-coder-token": key,
        authorization: `Bearer ${other.key}`,
        "x-api-key": "sk-ant-mine-0123456789abcdef",
      },
      body: JSON.stringify({ model: "claude-x", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
    });
    const id = res.headers.get("x-aibridge-interception-id")!;
    await res.arrayBuffer();
    expect(sentHolding(key, other.key)).toEqual([]);
    expect(f.upstream.last.headers.get("x-api-key")).toBe("sk-ant-mine-0123456789abcdef");
    expect(await recordedCredential(id)).toEqual({ credential_kind: "byok", credential_hint: "sk-a...cdef" });
  });

  test("passthrough routes follow the same rule", async () => {
    f.upstream.handler = () => Response.json({ data: [] });
    const res = await fetch(`${f.openaiBase}/models`, {
      headers: { "x-coder-token": key, authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(sentHolding(key)).toEqual([]);
    expect(f.upstream.last.headers.get("authorization")).toBe(`Bearer ${OPENAI_KEY}`);
    f.upstream.handler = () =>
      Response.json({ id: "c", choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } });
  });
});

describe("bounded state per client-chosen value (SPEC §13)", () => {
  test("520 invented model names: each metric keeps at most 500 of them plus other, cut to 128 characters", async () => {
    const names = Array.from({ length: 520 }, (_, i) => `${i}-${"invented-".repeat(20)}`);
    for (let i = 0; i < names.length; i += 26) {
      const answers = await Promise.all(
        names
          .slice(i, i + 26)
          .map((model) => chat(JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }))),
      );
      for (const res of answers) {
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
    }
    await settled(f.gw);
    const text = f.gw.server.metrics.registry.render();
    const models = new Set(
      [...text.matchAll(/^aibridge_interceptions_total\{[^}]*model="([^"]*)"/gm)].map((m) => m[1]!),
    );
    expect(models.size).toBeLessThanOrEqual(501);
    expect(models.has("other")).toBe(true);
    expect(Math.max(...[...models].map((m) => [...m].length))).toBeLessThanOrEqual(128);
  });
});

/** Sends the head and the first bytes of a body that never ends; resolves with the status the gateway answers. */
function stalledBody(path: string, headers: Record<string, string>, firstBytes: string): Promise<number> {
  const { hostname, port } = new URL(f.gw.url);
  const head = [
    `POST ${path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    "Content-Type: application/json",
    "Content-Length: 100000",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join("\r\n");
  return new Promise((resolve, reject) => {
    let received = "";
    Bun.connect({
      hostname,
      port: Number(port),
      socket: {
        open(socket) {
          socket.write(`${head}\r\n\r\n${firstBytes}`);
        },
        data(socket, data) {
          received += new TextDecoder().decode(data);
          const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
          if (status) {
            resolve(Number(status[1]));
            socket.end();
          }
        },
        close() {
          reject(new Error(`closed without an answer: ${JSON.stringify(received)}`));
        },
        error(_socket, error) {
          reject(error);
        },
      },
    }).catch(reject);
  });
}

describe("slow or huge bodies (SPEC §13)", () => {
  test("bodies that stop sending → 408 after the idle timeout, and their concurrency slots are freed", async () => {
    await settled(f.gw);
    const before = await interceptions();
    const statuses = await Promise.all([
      stalledBody("/api/v2/aibridge/openai/v1/chat/completions", { authorization: `Bearer ${key}` }, '{"mo'),
      stalledBody("/api/v2/aibridge/anthropic/v1/messages", { "x-api-key": key }, ""),
      stalledBody("/api/v2/aibridge/openai/v1/conversations", { authorization: `Bearer ${key}` }, "{"),
      stalledBody("/api/v2/aibridge/anthropic/v1/messages/count_tokens", { "x-api-key": key }, "{}"),
    ]);
    expect(statuses).toEqual([408, 408, 408, 408]);
    expect(f.gw.server.concurrency.inFlight).toBe(0);
    await settled(f.gw);
    expect(await interceptions()).toBe(before);
  });

  test("a passthrough body over 32 MiB → 413 in the provider's shape, declared or chunked", async () => {
    const forwarded = f.upstream.received.length;
    const big = new Uint8Array(32 * 1024 * 1024 + 1).fill(0x20);
    const declared = await fetch(`${f.openaiBase}/conversations`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect((await declared.json()).error).toMatchObject({ type: "invalid_request_error" });
    expect(declared.headers.get("x-should-retry")).toBe("false");
    const chunked = await fetch(`${f.anthropicBase}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "x-api-key": key },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 33; i++) controller.enqueue(big.subarray(0, 1024 * 1024));
          controller.close();
        },
      }),
    });
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toMatchObject({ type: "error", error: { type: "request_too_large" } });
    expect(f.upstream.received.length).toBe(forwarded);
    expect(f.gw.server.concurrency.inFlight).toBe(0);
  });
});
