import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import { type BridgeFixture, startBridge } from "../helpers/bridge";
import { controlledStream } from "../helpers/mock-upstream";

const CAPACITY = { message: "AI Bridge is currently at capacity. Please try again later." };
const RATE_LIMITED = { message: "You've been rate limited. Please try again later." };
const chatBody = (stream = false) =>
  JSON.stringify({ model: "gpt-4o", stream, messages: [{ role: "user", content: "x" }] });

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await Bun.sleep(5);
  expect(condition()).toBe(true);
}

describe("concurrency cap", () => {
  let f: BridgeFixture;
  beforeAll(async () => {
    f = await startBridge({ maxConcurrency: 2 });
  });
  afterAll(() => f.stop());
  const chat = (stream = false) =>
    fetch(`${f.openaiBase}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${f.gw.adminKey}` },
      body: chatBody(stream),
    });

  test("two open streams hold both slots; a third request is refused; when one ends the next is admitted", async () => {
    const streams = [controlledStream(), controlledStream()];
    let next = 0;
    f.upstream.handler = () => streams[next++]!.response;
    const open = () => chat(true);
    // One at a time, so that streams[i] is the upstream of the i-th response.
    const p1 = open();
    await waitFor(() => next === 1);
    const p2 = open();
    await waitFor(() => next === 2);
    for (const s of streams) s.write('data: {"id":"c","choices":[]}\n\n');
    const [r1, r2] = await Promise.all([p1, p2]);
    const readers = [r1.body!.getReader(), r2.body!.getReader()];
    await Promise.all(readers.map((r) => r.read()));
    expect(f.gw.server.concurrency.inFlight).toBe(2);

    const refused = await chat();
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual(CAPACITY);
    // Passthrough and unauthenticated requests take a slot too: the cap is for the whole data plane.
    expect((await fetch(`${f.openaiBase}/models`)).status).toBe(503);

    streams[0]!.write("data: [DONE]\n\n");
    streams[0]!.close();
    while (!(await readers[0]!.read()).done) {}
    await waitFor(() => f.gw.server.concurrency.inFlight === 1);
    f.upstream.handler = () => Response.json({ id: "c", choices: [] });
    const admitted = await chat();
    expect(admitted.status).toBe(200);
    streams[1]!.close();
    while (!(await readers[1]!.read()).done) {}
    await waitFor(() => f.gw.server.concurrency.inFlight === 0);
    expect(f.gw.server.metrics.concurrencyRejectsTotal.get()).toBe(2);
  });

  test("paths of the data plane no route answers (a provider's bare base, with or without a query) take no slot", async () => {
    const base = `${f.gw.url}/api/v2/aibridge/openai`;
    for (const url of [base, `${base}?x=1`, base, `${base}?x=1`]) {
      expect((await fetch(url, { headers: { authorization: `Bearer ${f.gw.adminKey}` } })).status).toBe(404);
    }
    expect(f.gw.server.concurrency.inFlight).toBe(0);
    f.upstream.handler = () => Response.json({ id: "c", choices: [] });
    const admitted = await chat();
    expect(admitted.status).toBe(200);
  });
});

describe("randomized: the in-flight counter always returns to zero", () => {
  let f: BridgeFixture;
  beforeAll(async () => {
    f = await startBridge({ maxConcurrency: 10_000 });
  });
  afterAll(() => f.stop());

  test("hundreds of requests with random client aborts and random upstream failures", async () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    f.upstream.handler = async () => {
      const r = random();
      if (r < 0.15) return Response.json({ error: { message: "boom" } }, { status: 500 });
      if (r < 0.25) return Response.json({ error: { message: "busy" } }, { status: 529 });
      if (r < 0.4) {
        const encoder = new TextEncoder();
        return new Response(
          new ReadableStream({
            async pull(c) {
              c.enqueue(encoder.encode('data: {"id":"c","choices":[]}\n\n'));
              await Bun.sleep(1);
              c.error(new Error("upstream broke"));
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        );
      }
      const parts = Math.floor(random() * 5);
      const encoder = new TextEncoder();
      let i = 0;
      return new Response(
        new ReadableStream({
          async pull(c) {
            if (i++ >= parts) {
              c.enqueue(encoder.encode("data: [DONE]\n\n"));
              c.close();
              return;
            }
            await Bun.sleep(Math.floor(random() * 3));
            c.enqueue(
              encoder.encode(`data: {"id":"c","choices":[{"index":0,"delta":{"content":"${i}"}}]}\n\n`),
            );
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    };
    const one = async (n: number) => {
      const abort = new AbortController();
      const abortAt = random();
      if (abortAt < 0.2) setTimeout(() => abort.abort(), Math.floor(random() * 5));
      const badKey = random() < 0.05;
      try {
        const res = await fetch(`${f.openaiBase}/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${badKey ? "nope" : f.gw.adminKey}` },
          body: n % 7 === 0 ? "{broken" : chatBody(true),
          signal: abort.signal,
        });
        if (abortAt < 0.3 && abortAt >= 0.2) {
          await res.body?.cancel();
          return;
        }
        await res.arrayBuffer();
      } catch {
        // aborted or cut: expected
      }
    };
    await Promise.all(Array.from({ length: 400 }, (_, n) => one(n)));
    await waitFor(() => f.gw.server.concurrency.inFlight === 0);
    expect(f.gw.server.concurrency.inFlight).toBe(0);
  });
});

describe("rate limit (injected clock)", () => {
  let f: BridgeFixture;
  let clock = Date.now();
  beforeAll(async () => {
    f = await startBridge({ rateLimit: 3 }, { now: () => clock });
    f.upstream.handler = () => Response.json({ id: "c", choices: [] });
  });
  afterAll(() => f.stop());

  const send = (headers: Record<string, string>, path = "/chat/completions", method = "POST") =>
    fetch(`${f.openaiBase}${path}`, { method, headers, body: method === "POST" ? chatBody() : undefined });

  test("N admitted per second per key, then 429 with the SPEC body and headers", async () => {
    const auth = { authorization: `Bearer ${f.gw.adminKey}` };
    for (let i = 0; i < 3; i++) {
      const ok = await send(auth);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-ratelimit-limit")).toBe("3");
      expect(ok.headers.get("x-ratelimit-remaining")).toBe(String(2 - i));
    }
    const refused = await send(auth);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual(RATE_LIMITED);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("x-ratelimit-limit")).toBe("3");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(refused.headers.get("x-ratelimit-reset"))).toBe(Math.ceil((clock + 1000) / 1000));
    // The same key in another header draws from the same budget.
    expect((await send({ "x-coder-token": f.gw.adminKey })).status).toBe(429);
    expect((await send({ "x-api-key": f.gw.adminKey })).status).toBe(429);
    clock += 1000;
    expect((await send(auth)).status).toBe(200);
  });

  test("different keys and IPs are independent; passthrough is not counted", async () => {
    clock += 10_000;
    const keys = ["k1", "k2", "k3"].map((k) => ({ "x-api-key": `${k}-unknown-but-distinct` }));
    for (const headers of keys) {
      for (let i = 0; i < 3; i++) expect((await send(headers)).status).toBe(401);
      expect((await send(headers)).status).toBe(429);
    }
    // No key at all: the client IP is the key.
    for (let i = 0; i < 3; i++) expect((await send({})).status).toBe(401);
    expect((await send({})).status).toBe(429);
    clock += 10_000;
    const auth = { authorization: `Bearer ${f.gw.adminKey}` };
    for (let i = 0; i < 10; i++) expect((await send(auth, "/models", "GET")).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await send(auth)).status).toBe(200);
    expect((await send(auth)).status).toBe(429);
  });

  test("0 disables it", async () => {
    const g = await startBridge({ rateLimit: 0 });
    try {
      g.upstream.handler = () => Response.json({ id: "c", choices: [] });
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${g.openaiBase}/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${g.gw.adminKey}` },
          body: chatBody(),
        });
        expect(res.status).toBe(200);
        expect(res.headers.has("x-ratelimit-limit")).toBe(false);
      }
    } finally {
      await g.stop();
    }
  });
});
