import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import { type BridgeFixture, startBridge } from "../helpers/bridge";
import { createUserWithKey } from "../helpers/http";
import { controlledStream } from "../helpers/mock-upstream";

// SPEC §13 Retry hints: gateway-made 400/401/403/404/405/413 carry `x-should-retry: false`;
// 429 and 503 carry `Retry-After`. Upstream answers are relayed as they came.
describe("retry hints on gateway-made answers", () => {
  let f: BridgeFixture;
  let key: string;
  beforeAll(async () => {
    f = await startBridge({ maxConcurrency: 1 });
    key = f.gw.adminKey;
  });
  // The last test closes the database under the gateway.
  afterAll(() => f.stop().catch(() => {}));

  const chat = (headers: Record<string, string>, body: string, path = "/chat/completions") =>
    fetch(`${f.openaiBase}${path}`, { method: "POST", headers, body });
  const good = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });

  test("every refusal a retry cannot change says x-should-retry: false, in both providers' shapes", async () => {
    const auth = { authorization: `Bearer ${key}` };
    // One at a time: the concurrency cap is 1.
    const answers: [string, number, () => Promise<Response>][] = [
      ["no key (openai)", 401, () => chat({}, good)],
      [
        "no key (anthropic)",
        401,
        () => fetch(`${f.anthropicBase}/v1/messages`, { method: "POST", body: good }),
      ],
      ["wrong key", 401, () => chat({ authorization: "Bearer abcdefghij-0123456789012345678901" }, good)],
      ["malformed key", 401, () => chat({ "x-api-key": "nope" }, good)],
      ["unknown route", 404, () => chat(auth, good, "/nope")],
      ["unknown provider", 404, () => fetch(`${f.gw.url}/api/v2/aibridge/gemini/v1/x`, { headers: auth })],
      ["wrong method", 405, () => fetch(`${f.openaiBase}/chat/completions`, { headers: auth })],
      ["invalid JSON", 400, () => chat(auth, "{")],
      ["not an object", 400, () => chat(auth, "[]")],
      ["no model", 400, () => chat(auth, JSON.stringify({ messages: [] }))],
      [
        "declared too large",
        413,
        () => chat({ ...auth, "content-type": "application/json" }, "x".repeat(33 << 20)),
      ],
    ];
    for (const [what, status, send] of answers) {
      const res = await send();
      expect({ what, status: res.status }).toEqual({ what, status });
      expect({ what, hint: res.headers.get("x-should-retry") }).toEqual({ what, hint: "false" });
      await res.arrayBuffer();
    }
    expect(f.upstream.received).toHaveLength(0);
  });

  test("an upstream's own 4xx is relayed without a gateway hint", async () => {
    f.upstream.handler = () =>
      Response.json({ error: { message: "bad", type: "invalid_request_error" } }, { status: 400 });
    const res = await chat({ authorization: `Bearer ${key}` }, good);
    expect(res.status).toBe(400);
    expect(res.headers.get("x-should-retry")).toBeNull();
    await res.arrayBuffer();
  });

  test("the capacity 503 carries Retry-After", async () => {
    const stream = controlledStream();
    f.upstream.handler = () => {
      stream.write('data: {"id":"c","choices":[]}\n\n');
      return stream.response;
    };
    const held = await chat({ authorization: `Bearer ${key}` }, good);
    const refused = await chat({ authorization: `Bearer ${key}` }, good);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    await refused.arrayBuffer();
    stream.close();
    await held.arrayBuffer();
  });

  test("the database being unavailable: the key-verification and cannot-record 503s carry Retry-After", async () => {
    f.upstream.handler = () => Response.json({ id: "c", choices: [] });
    // Not used yet, so not in the identity cache: verifying it needs the database.
    const fresh = await createUserWithKey(f.gw.url, key, "fresh", "member");
    expect((await chat({ authorization: `Bearer ${key}` }, good)).status).toBe(200);
    await f.gw.server.database.close();
    const forwarded = f.upstream.received.length;
    const cannotVerify = await chat({ authorization: `Bearer ${fresh.key}` }, good);
    const cannotRecord = await chat({ authorization: `Bearer ${key}` }, good);
    for (const res of [cannotVerify, cannotRecord]) {
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get("x-should-retry")).toBeNull();
      expect((await res.json()).error.type).toBe("server_error");
    }
    expect(f.upstream.received.length).toBe(forwarded);
    const notReady = await fetch(`${f.gw.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get("retry-after")).toBe("1");
  });
});
