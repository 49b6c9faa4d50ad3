import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";

import { sql } from "drizzle-orm";
import postgres from "postgres";

import { countStatements, createTestDatabase, TEST_ENGINE, type TestDatabase } from "../helpers/database";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { api, createUserWithKey } from "../helpers/http";

setDefaultTimeout(60_000);

let database: TestDatabase;
let a: TestGateway;
let b: TestGateway | null = null;
const cleanup: (() => unknown)[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  a = await startTestGateway({}, { database });
  // A second replica on the same database (PostgreSQL only: the embedded one is single-process).
  if (TEST_ENGINE === "postgres") b = await startTestGateway({}, { database });
});
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
  await b?.stop();
  await a.stop();
  await database.dispose();
});

const me = async (gw: TestGateway, key: string) => {
  const res = await api(gw.url, "/api/v2/users/me", { key });
  return res.status === 200 ? (res.json.role as string) : res.status;
};

/** Polls until `probe` gives `want`, for at most `ms` (SPEC §16: changes reach every replica within 1 s). */
async function within(ms: number, probe: () => Promise<unknown>, want: unknown): Promise<void> {
  const deadline = performance.now() + ms;
  let last: unknown;
  do {
    last = await probe();
    if (last === want) return;
    await Bun.sleep(10);
  } while (performance.now() < deadline);
  throw new Error(`still ${JSON.stringify(last)} after ${ms} ms, wanted ${JSON.stringify(want)}`);
}

describe("the identity pool and invalidation races", () => {
  test("a lookup under way when its key is invalidated answers its request but caches nothing", async () => {
    const { key } = await createUserWithKey(a.url, a.adminKey, "racer", "member");
    const identities = a.server.identities;
    const spy = countStatements(a.server.database);
    try {
      const lookups = () => spy.statements.filter((s) => /from "api_keys"/i.test(s)).length;
      const first = identities.resolve(key);
      identities.forgetKey(key.slice(0, 10));
      // Started after the invalidation: must not join the lookup that may have read the old row.
      const second = identities.resolve(key);
      expect((await first).ok).toBe(true);
      expect((await second).ok).toBe(true);
      expect(lookups()).toBe(2);
      // The second lookup started after the invalidation: it is cached.
      expect((await identities.resolve(key)).ok).toBe(true);
      expect(lookups()).toBe(2);
    } finally {
      spy.restore();
    }
  });
});

describe.skipIf(TEST_ENGINE !== "postgres")("identity changes reach every replica (LISTEN/NOTIFY)", () => {
  test("a key deleted on one replica is refused by the other within 1 s", async () => {
    const { key } = await createUserWithKey(a.url, a.adminKey, "deleted-key", "member");
    expect(await me(b!, key)).toBe("member"); // cached on b
    const deleted = await api(a.url, `/api/v2/users/deleted-key/keys/${key.slice(0, 10)}`, {
      method: "DELETE",
      key: a.adminKey,
    });
    expect(deleted.status).toBe(204);
    await within(1000, () => me(b!, key), 401);
  });

  test("a user suspended and a role changed on one replica show on the other within 1 s", async () => {
    const { key } = await createUserWithKey(a.url, a.adminKey, "changing", "member");
    expect(await me(b!, key)).toBe("member");
    await api(a.url, "/api/v2/users/changing", {
      method: "PATCH",
      key: a.adminKey,
      body: { role: "auditor" },
    });
    await within(1000, () => me(b!, key), "auditor");
    await api(a.url, "/api/v2/users/changing", {
      method: "PATCH",
      key: a.adminKey,
      body: { status: "suspended" },
    });
    await within(1000, () => me(b!, key), 401);
  });

  test("a change made outside any replica (the CLI, plain SQL) reaches every replica", async () => {
    const { key } = await createUserWithKey(a.url, a.adminKey, "outside", "member");
    expect(await me(a, key)).toBe("member");
    expect(await me(b!, key)).toBe("member");
    const admin = postgres(database.postgresUrl, { max: 1, onnotice: () => {} });
    cleanup.push(() => admin.end());
    await admin`UPDATE users SET status = 'suspended' WHERE username = 'outside'`;
    await within(1000, () => me(a, key), 401);
    await within(1000, () => me(b!, key), 401);
  });

  test("last-used writes announce nothing (they are not identity changes)", async () => {
    const admin = postgres(database.postgresUrl, { max: 1, onnotice: () => {} });
    cleanup.push(() => admin.end());
    const heard: string[] = [];
    const listening = await admin.listen("aibridge_identity_changed", (payload) => heard.push(payload));
    await admin`UPDATE api_keys SET last_used_at = now()`;
    await admin`UPDATE users SET updated_at = now(), email = 'x@example.com'`;
    await admin`UPDATE users SET role = role`;
    await admin`SELECT pg_notify('aibridge_identity_changed', 'marker')`;
    await within(1000, async () => heard.at(-1), "marker");
    expect(heard).toEqual(["marker"]);
    await listening.unlisten();
  });

  test("after a lost connection the listener reconnects and drops its whole cache once", async () => {
    const { key } = await createUserWithKey(a.url, a.adminKey, "missed", "member");
    expect(await me(b!, key)).toBe("member");
    const admin = postgres(database.postgresUrl, { max: 1, onnotice: () => {} });
    cleanup.push(() => admin.end());
    // A change b cannot hear about: triggers off in this session, as if sent while b was away.
    await admin.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      await tx`UPDATE users SET status = 'suspended' WHERE username = 'missed'`;
    });
    await Bun.sleep(100);
    expect(await me(b!, key)).toBe("member"); // still cached: nothing was announced
    const reconnectLogs = () => b!.logs.filter((l) => l.includes("identity listener reconnected")).length;
    expect(reconnectLogs()).toBe(0);

    // Cut every LISTEN connection (a's and b's): both reconnect and forget everything.
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND query ILIKE 'listen%'`;
    await within(5000, () => me(b!, key), 401);
    expect(reconnectLogs()).toBe(1);
    // And it listens again.
    const { key: other } = await createUserWithKey(a.url, a.adminKey, "after-reconnect", "member");
    expect(await me(b!, other)).toBe("member");
    await api(a.url, `/api/v2/users/after-reconnect/keys/${other.slice(0, 10)}`, {
      method: "DELETE",
      key: a.adminKey,
    });
    await within(1000, () => me(b!, other), 401);
  });
});

test("the notifying triggers exist on every engine", async () => {
  const rows = await a.server.database.db.execute(
    sql`SELECT tgname FROM pg_trigger WHERE tgname LIKE '%_notify' ORDER BY tgname`,
  );
  const names = (Array.isArray(rows) ? rows : (rows as { rows: { tgname: string }[] }).rows).map(
    (r: { tgname: string }) => r.tgname,
  );
  expect(names).toEqual([
    "api_keys_changed_notify",
    "api_keys_deleted_notify",
    "users_changed_notify",
    "users_deleted_notify",
  ]);
});
