import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { api, createUserWithKey } from "../helpers/http";

let gw: TestGateway;
let memberA: { id: string; key: string };
let memberB: { id: string; key: string };
let auditorKey: string;

const makeUser = (username: string, role: string) => createUserWithKey(gw.url, gw.adminKey, username, role);

beforeAll(async () => {
  gw = await startTestGateway();
  memberA = await makeUser("alice", "member");
  memberB = await makeUser("bob", "member");
  auditorKey = (await makeUser("audrey", "auditor")).key;
});
afterAll(() => gw.stop());

describe("authentication", () => {
  test("no key, a malformed key and a wrong secret are 401 with the management error shape", async () => {
    for (const key of [undefined, "nonsense", `${gw.adminKey.slice(0, 11)}${"x".repeat(22)}`]) {
      const res = await api(gw.url, "/api/v2/users/me", { key });
      expect(res.status).toBe(401);
      expect(typeof res.json.message).toBe("string");
      expect(JSON.stringify(res.json)).not.toContain(gw.adminKey);
    }
  });
  test("Authorization: Bearer works as well as Coder-Session-Token", async () => {
    const res = await api(gw.url, "/api/v2/users/me", {
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.json.username).toBe("admin");
    expect(res.json.role).toBe("owner");
  });
});

describe("users", () => {
  test("the bootstrap admin is an owner; me resolves to the caller", async () => {
    const me = await api(gw.url, "/api/v2/users/me", { key: memberA.key });
    expect(me.json).toMatchObject({ id: memberA.id, username: "alice", role: "member", status: "active" });
    expect(Object.keys(me.json).sort()).toEqual(
      ["avatar_url", "created_at", "email", "id", "name", "role", "status", "username"].sort(),
    );
  });
  test("owners and auditors list users; members get 403", async () => {
    const list = await api(gw.url, "/api/v2/users", { key: auditorKey });
    expect(list.status).toBe(200);
    expect(list.json.count).toBe(4);
    expect(list.json.users.map((u: { username: string }) => u.username)).toEqual([
      "admin",
      "alice",
      "audrey",
      "bob",
    ]);
    expect((await api(gw.url, "/api/v2/users", { key: memberA.key })).status).toBe(403);
  });
  test("a member reads only themself", async () => {
    expect((await api(gw.url, "/api/v2/users/alice", { key: memberA.key })).status).toBe(200);
    expect((await api(gw.url, `/api/v2/users/${memberA.id}`, { key: memberA.key })).status).toBe(200);
    expect((await api(gw.url, "/api/v2/users/bob", { key: memberA.key })).status).toBe(403);
    expect((await api(gw.url, "/api/v2/users/bob", { key: auditorKey })).status).toBe(200);
  });
  test("unknown user → 404", async () => {
    const res = await api(gw.url, "/api/v2/users/nobody", { key: gw.adminKey });
    expect(res.status).toBe(404);
    expect(res.json.message).toContain("nobody");
  });
  test("duplicate username → 409; only owners create", async () => {
    const dup = await api(gw.url, "/api/v2/users", {
      method: "POST",
      key: gw.adminKey,
      body: { username: "alice" },
    });
    expect(dup.status).toBe(409);
    const byMember = await api(gw.url, "/api/v2/users", {
      method: "POST",
      key: memberA.key,
      body: { username: "eve" },
    });
    expect(byMember.status).toBe(403);
  });
  test("bad JSON and bad fields are 400 with the management shape", async () => {
    const bad = await api(gw.url, "/api/v2/users", { method: "POST", key: gw.adminKey, rawBody: "{nope" });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBeString();
    const invalid = await api(gw.url, "/api/v2/users", {
      method: "POST",
      key: gw.adminKey,
      body: { username: "ok-name", role: "god" },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json.validations?.[0]?.field).toBe("role");
    const noName = await api(gw.url, "/api/v2/users", { method: "POST", key: gw.adminKey, body: {} });
    expect(noName.status).toBe(400);
    // A user reference is an id, a username or `me`: no username may read as either of the others.
    for (const username of ["me", crypto.randomUUID(), crypto.randomUUID().toUpperCase()]) {
      const ambiguous = await api(gw.url, "/api/v2/users", {
        method: "POST",
        key: gw.adminKey,
        body: { username },
      });
      expect(ambiguous.status).toBe(400);
      expect(ambiguous.json.validations?.[0]?.field).toBe("username");
    }
    const fine = await api(gw.url, "/api/v2/users", {
      method: "POST",
      key: gw.adminKey,
      body: { username: "me2" },
    });
    expect(fine.status).toBe(201);
  });
  test("owners patch name, role and status; suspension takes effect on the next request", async () => {
    const temp = await makeUser("carol", "member");
    expect((await api(gw.url, "/api/v2/users/me", { key: temp.key })).status).toBe(200);
    const patched = await api(gw.url, "/api/v2/users/carol", {
      method: "PATCH",
      key: gw.adminKey,
      body: { name: "Carol C", status: "suspended" },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ name: "Carol C", status: "suspended" });
    expect((await api(gw.url, "/api/v2/users/me", { key: temp.key })).status).toBe(401);
    const byMember = await api(gw.url, "/api/v2/users/carol", {
      method: "PATCH",
      key: memberA.key,
      body: { name: "x" },
    });
    expect(byMember.status).toBe(403);
  });
});

describe("keys", () => {
  test("create, list (never a secret), delete; a deleted key is refused at once", async () => {
    const created = await api(gw.url, "/api/v2/users/me/keys", {
      method: "POST",
      key: memberB.key,
      body: { name: "laptop", lifetime: "24h" },
    });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^[A-Za-z0-9]{10}-[A-Za-z0-9]{22}$/);
    expect(created.json.key.startsWith(created.json.id)).toBe(true);
    const expires = Date.parse(created.json.expires_at) - Date.now();
    expect(expires).toBeGreaterThan(23 * 3_600_000);
    expect(expires).toBeLessThanOrEqual(24 * 3_600_000);
    const newKey = created.json.key as string;
    expect((await api(gw.url, "/api/v2/users/me", { key: newKey })).status).toBe(200);

    const list = await api(gw.url, "/api/v2/users/bob/keys", { key: memberB.key });
    expect(list.status).toBe(200);
    expect(list.json).toHaveLength(2);
    expect(JSON.stringify(list.json)).not.toContain(newKey.slice(11));
    expect(Object.keys(list.json[0]).sort()).toEqual([
      "created_at",
      "expires_at",
      "id",
      "last_used_at",
      "name",
    ]);

    const del = await api(gw.url, `/api/v2/users/bob/keys/${created.json.id}`, {
      method: "DELETE",
      key: memberB.key,
    });
    expect(del.status).toBe(204);
    expect((await api(gw.url, "/api/v2/users/me", { key: newKey })).status).toBe(401);
    const again = await api(gw.url, `/api/v2/users/bob/keys/${created.json.id}`, {
      method: "DELETE",
      key: memberB.key,
    });
    expect(again.status).toBe(404);
  });
  test("members cannot touch someone else's keys; owners can", async () => {
    expect((await api(gw.url, "/api/v2/users/alice/keys", { key: memberB.key })).status).toBe(403);
    expect(
      (await api(gw.url, "/api/v2/users/alice/keys", { method: "POST", key: memberB.key, body: {} })).status,
    ).toBe(403);
    expect((await api(gw.url, "/api/v2/users/alice/keys", { key: auditorKey })).status).toBe(403);
    expect((await api(gw.url, "/api/v2/users/alice/keys", { key: gw.adminKey })).status).toBe(200);
  });
  test("a bad lifetime is a 400 naming the field", async () => {
    const res = await api(gw.url, "/api/v2/users/me/keys", {
      method: "POST",
      key: memberA.key,
      body: { lifetime: "forever" },
    });
    expect(res.status).toBe(400);
    expect(res.json.validations[0].field).toBe("lifetime");
  });
  test("keys are stored hashed: the secret is nowhere in the database or the logs", async () => {
    const rows = await gw.server.database.db.execute<{ hashed_secret: unknown }>(
      // biome-ignore lint/suspicious/noExplicitAny: raw SQL in a test
      (await import("drizzle-orm")).sql`SELECT * FROM api_keys` as any,
    );
    const dump = JSON.stringify(rows, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v,
    );
    for (const key of [gw.adminKey, memberA.key, memberB.key]) {
      const secret = key.slice(11);
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(Buffer.from(secret).toString("hex"));
      expect(gw.logs.join("\n")).not.toContain(secret);
    }
  });
});
