import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import postgres from "postgres";

import { query, settled, startBridge } from "../helpers/bridge";
import { createTestDatabase, TEST_ENGINE, type TestDatabase } from "../helpers/database";
import {
  bootstrapKey,
  gatewayEnv,
  holdingUpstream,
  openStreams,
  readToEnd,
} from "../helpers/holding-upstream";
import { spawnServer } from "../helpers/process";
import { chatCompletion } from "../helpers/provider-wire";

// Real processes and a database made unreachable on purpose, on a possibly loaded machine.
setDefaultTimeout(240_000);

const ADMIN_URL = process.env.AIBRIDGE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

/** Makes one test database refuse every connection (the shared cluster is never stopped). */
function outage(db: TestDatabase) {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  cleanup.push(() => admin.end());
  const name = new URL(db.postgresUrl).pathname.slice(1);
  return {
    async begin() {
      await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name}`;
    },
    async end() {
      await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    },
    /** Rows of the test database (read as the admin, once connections are allowed again). */
    async rows(text: string) {
      const url = new URL(ADMIN_URL);
      url.pathname = `/${name}`;
      const client = postgres(url.toString(), { max: 1, onnotice: () => {} });
      try {
        return await client.unsafe(text);
      } finally {
        await client.end();
      }
    },
  };
}

async function gateway(db: TestDatabase, extra: Record<string, string> = {}) {
  const { upstream, releaseAll } = holdingUpstream();
  cleanup.push(() => upstream.stop());
  const env = gatewayEnv(db, upstream, extra);
  const server = await spawnServer([], { env });
  cleanup.push(() => server.stop("SIGKILL"));
  return { server, env, releaseAll, key: bootstrapKey(server.stderr()) };
}

const ENDED = `SELECT i.id, i.ended_at, u.output_tokens FROM aibridge_interceptions i
  LEFT JOIN aibridge_token_usages u ON u.interception_id = i.id`;

test.skipIf(TEST_ENGINE !== "postgres")(
  "records pending through a 10 s outage are written once the database is back: every stream that got its 200 is ended",
  async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.dispose());
    const { server, releaseAll, key } = await gateway(db);
    const streams = await openStreams(server.url, key, 20);
    expect(streams.map((s) => s.status)).toEqual(Array(20).fill(200));
    const pg = outage(db);
    await pg.begin();
    releaseAll();
    for (const { reader } of streams) expect(await readToEnd(reader)).toContain("message_stop");
    // Longer than the old policy's six attempts (about 3 s) before it dropped the records.
    await Bun.sleep(10_000);
    await pg.end();
    let ended: postgres.Row[] = [];
    for (let i = 0; i < 200; i++) {
      ended = (await pg.rows(ENDED)).filter((r) => r.ended_at !== null);
      if (ended.length === 20) break;
      await Bun.sleep(100);
    }
    expect(ended.map((r) => r.id).sort()).toEqual(streams.map((s) => s.id).sort());
    for (const row of ended) expect(Number(row.output_tokens)).toBe(9);
    expect(server.stderr()).toContain("retrying");
    expect(await server.stop()).toBe(0);
  },
);

test.skipIf(TEST_ENGINE !== "postgres")(
  "SIGTERM during an outage: what cannot be written goes to the spill file, exit 3; the next start replays it before serving",
  async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.dispose());
    const { server, env, releaseAll, key } = await gateway(db, { CODER_SHUTDOWN_GRACE_PERIOD: "2s" });
    const streams = await openStreams(server.url, key, 20);
    const pg = outage(db);
    await pg.begin();
    releaseAll();
    for (const { reader } of streams) await readToEnd(reader);
    expect(await server.stop("SIGTERM")).toBe(3);
    const spill = join(db.dataDir, "spill");
    const files = readdirSync(spill).filter((f) => f.endsWith(".jsonl"));
    expect(files).toHaveLength(1);
    const lines = readFileSync(join(spill, files[0]!), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const ends = lines.filter((l) => l.list === "ends");
    expect(ends.map((l) => l.record.id).sort()).toEqual(streams.map((s) => s.id).sort());
    expect(lines.every((l) => l.reason === "shutdown")).toBe(true);

    await pg.end();
    const next = await spawnServer([], { env });
    cleanup.push(() => next.stop("SIGKILL"));
    expect(next.readyMs).toBeGreaterThan(0);
    // Replayed before /readyz answered: already in the database, the spill file gone.
    const rows = await pg.rows(ENDED);
    expect(
      rows
        .filter((r) => r.ended_at !== null)
        .map((r) => r.id)
        .sort(),
    ).toEqual(streams.map((s) => s.id).sort());
    for (const row of rows) expect(Number(row.output_tokens)).toBe(9);
    expect(existsSync(spill) ? readdirSync(spill).filter((f) => f.endsWith(".jsonl")) : []).toEqual([]);
    expect(next.stderr()).toContain("replayed spilled records");
    expect(await next.stop()).toBe(0);
  },
);

test.skipIf(TEST_ENGINE !== "postgres")(
  "while the recording queue is full, new intercepted requests get 503 with Retry-After; admitted ones are all recorded",
  async () => {
    const f = await startBridge({ recordingQueueLimit: 2 });
    cleanup.push(() => f.stop());
    f.upstream.handler = () =>
      Response.json(chatCompletion("ok", [], { prompt_tokens: 1, completion_tokens: 1 }));
    const chat = () =>
      fetch(`${f.openaiBase}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${f.gw.adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
      });
    // The background writer waits on this lock: the first request's records (usage, prompt, end) stay queued.
    const name = new URL(f.gw.database.postgresUrl).pathname.slice(1);
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    const locker = postgres(url.toString(), { max: 1, onnotice: () => {} });
    cleanup.push(() => locker.end());
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const transaction = locker.begin(async (tx) => {
      await tx`LOCK TABLE aibridge_user_prompts IN ACCESS EXCLUSIVE MODE`;
      locked();
      await held;
    });
    await isLocked;

    const first = await chat();
    expect(first.status).toBe(200);
    expect(f.gw.server.recorder.full).toBe(true);
    const refused = await chat();
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await refused.json()).error.message).toContain("cannot record");

    release();
    await transaction;
    await settled(f.gw);
    expect(f.gw.server.recorder.full).toBe(false);
    const after = await chat();
    expect(after.status).toBe(200);
    await settled(f.gw);
    const ended = await query<{ n: number }>(
      f.gw,
      "SELECT count(*)::int AS n FROM aibridge_interceptions WHERE ended_at IS NOT NULL",
    );
    expect(Number(ended[0]!.n)).toBe(2);
  },
);
