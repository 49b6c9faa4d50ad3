import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import { type BridgeFixture, interceptionRows, query, settled, startBridge } from "../helpers/bridge";
import { countStatements } from "../helpers/database";
import { api } from "../helpers/http";
import { controlledStream } from "../helpers/mock-upstream";

let clock = Date.now();
let f: BridgeFixture;
const TTL = 60_000;

beforeAll(async () => {
  f = await startBridge({ poolSize: 2, poolTtl: TTL }, { now: () => clock });
});
afterAll(() => f.stop());

const chat = (key: string) =>
  fetch(`${f.openaiBase}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
  });

async function newKey(username: string): Promise<string> {
  await api(f.gw.url, "/api/v2/users", { method: "POST", key: f.gw.adminKey, body: { username } });
  return (
    await api(f.gw.url, `/api/v2/users/${username}/keys`, { method: "POST", key: f.gw.adminKey, body: {} })
  ).json.key;
}

describe("the identity pool (SPEC §5.3)", () => {
  test("an entry lives exactly its TTL: a change made behind the pool's back shows only after it", async () => {
    f.upstream.handler = () => Response.json({ id: "c", choices: [] });
    const key = await newKey("ttl-user");
    expect((await chat(key)).status).toBe(200);
    // Truly behind its back: without the trigger that tells every replica (SPEC §16).
    await query(f.gw, "ALTER TABLE users DISABLE TRIGGER users_changed_notify");
    await query(f.gw, "UPDATE users SET status = 'suspended' WHERE username = 'ttl-user'");
    await query(f.gw, "ALTER TABLE users ENABLE TRIGGER users_changed_notify");
    clock += TTL - 1;
    expect((await chat(key)).status).toBe(200);
    clock += 1;
    expect((await chat(key)).status).toBe(401);
  });

  test("a burst of first requests with one key looks it up once and writes its last use once", async () => {
    f.upstream.handler = () => Response.json({ id: "c", choices: [] });
    const key = await newKey("burst-user");
    const spy = countStatements(f.gw.server.database);
    try {
      const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await chat(key)).status));
      expect(statuses).toEqual(Array(20).fill(200));
      await f.gw.server.identities.settled();
      const touches = spy.statements.filter((s) => /^update "api_keys"/i.test(s));
      const lookups = spy.statements.filter((s) => /from "api_keys"/i.test(s));
      expect({ lookups: lookups.length, touches: touches.length }).toEqual({ lookups: 1, touches: 1 });
    } finally {
      spy.restore();
    }
    const [row] = await query(
      f.gw,
      "SELECT last_used_at FROM api_keys WHERE user_id = (SELECT id FROM users WHERE username = 'burst-user')",
    );
    expect(row?.last_used_at).not.toBeNull();
  });

  test("suspension and key deletion through the API are refused on the very next request", async () => {
    const key = await newKey("sus-user");
    expect((await chat(key)).status).toBe(200);
    await api(f.gw.url, "/api/v2/users/sus-user", {
      method: "PATCH",
      key: f.gw.adminKey,
      body: { status: "suspended" },
    });
    expect((await chat(key)).status).toBe(401);
    const key2 = await newKey("del-user");
    expect((await chat(key2)).status).toBe(200);
    await api(f.gw.url, `/api/v2/users/del-user/keys/${key2.slice(0, 10)}`, {
      method: "DELETE",
      key: f.gw.adminKey,
    });
    expect((await chat(key2)).status).toBe(401);
  });

  test("eviction at capacity during an in-flight stream breaks neither the stream nor its records", async () => {
    const streamer = await newKey("streamer");
    const stream = controlledStream();
    f.upstream.handler = () => stream.response;
    const pending = fetch(`${f.openaiBase}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${streamer}` },
      body: JSON.stringify({
        model: "gpt-4o",
        stream: true,
        messages: [{ role: "user", content: "long one" }],
      }),
    });
    stream.write(
      'data: {"id":"chatcmpl-ev","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"x"}}]}\n\n',
    );
    const res = await pending;
    const id = res.headers.get("x-aibridge-interception-id")!;
    const reader = res.body!.getReader();
    await reader.read();
    // Two other users fill the pool (capacity 2): the streamer's entry is evicted.
    f.upstream.handler = () => Response.json({ id: "c", choices: [] });
    for (const name of ["evict-a", "evict-b"]) expect((await chat(await newKey(name))).status).toBe(200);
    stream.write(
      'data: {"id":"chatcmpl-ev","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}\n\ndata: [DONE]\n\n',
    );
    stream.close();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(rest).toContain("[DONE]");
    await settled(f.gw);
    const rows = await interceptionRows(f.gw, id);
    expect(rows.interception.ended_at).not.toBeNull();
    expect(rows.prompts.map((p) => p.prompt)).toEqual(["long one"]);
    expect(rows.usages).toHaveLength(1);
    // The evicted user is looked up again and still admitted.
    expect((await chat(streamer)).status).toBe(200);
  });
});

describe("durability", () => {
  test("database unreachable when a request arrives → 503, nothing forwarded; /readyz turns 503", async () => {
    const g = await startBridge();
    try {
      g.upstream.handler = () => Response.json({ id: "c", choices: [] });
      const key = g.gw.adminKey;
      const ok = await fetch(`${g.openaiBase}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: "gpt-4o", messages: [] }),
      });
      expect(ok.status).toBe(200);
      const forwarded = g.upstream.received.length;
      await g.gw.server.database.close();
      const res = await fetch(`${g.openaiBase}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: "gpt-4o", messages: [] }),
      });
      expect(res.status).toBe(503);
      expect((await res.json()).error.type).toBe("server_error");
      expect(g.upstream.received.length).toBe(forwarded);
      expect((await fetch(`${g.gw.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${g.gw.url}/healthz`)).status).toBe(200);
    } finally {
      await g.stop().catch(() => {});
    }
  });
});
