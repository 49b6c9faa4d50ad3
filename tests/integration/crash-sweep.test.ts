import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";

import { sql } from "drizzle-orm";

import { openDatabase } from "../../src/db/engine";
import {
  databaseClockOffset,
  heartbeat,
  INTERRUPTED_MESSAGE,
  sweepDeadInstances,
} from "../../src/db/instances";
import { resultRows } from "../../src/db/migrate";
import { interceptions, modelThoughts, tokenUsages, toolUsages } from "../../src/db/schema";
import { query } from "../helpers/bridge";
import { createTestDatabase } from "../helpers/database";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { bootstrapKey, gatewayEnv, holdingUpstream, openStreams } from "../helpers/holding-upstream";
import { interceptionFixture } from "../helpers/interceptions";
import { spawnServer } from "../helpers/process";

// Real processes on a possibly loaded machine.
setDefaultTimeout(240_000);

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

describe("the crash sweep across clocks", () => {
  test("a replica whose own clock is 5 minutes behind heartbeats on the database's clock: another's sweep leaves it alone", async () => {
    const behind = () => Date.now() - 300_000;
    const lagging = await startTestGateway({ retention: 0 }, { now: behind });
    cleanup.push(() => lagging.stop());
    const database = lagging.server.database;
    const offset = await databaseClockOffset(database, behind);
    expect(Math.abs(offset - 300_000)).toBeLessThan(5_000);
    const [row] = await query<{ id: string; seen_ms: number }>(
      lagging,
      "SELECT id, extract(epoch FROM now() - last_seen_at)::float8 * 1000 AS seen_ms FROM aibridge_instances",
    );
    expect(Math.abs(row!.seen_ms)).toBeLessThan(30_000);
    // Another replica, on the right time, sweeps instances not seen for 60 s.
    expect(await sweepDeadInstances(database, Bun.randomUUIDv7(), new Date(Date.now() - 60_000))).toBe(0);
    const [still] = await query<{ n: number }>(lagging, "SELECT count(*)::int AS n FROM aibridge_instances");
    expect(still!.n).toBe(1);
  });
});

describe("the crash sweep, against the database (injected clock)", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ retention: 0 });
    cleanup.push(() => gw.stop());
  });

  test("ends the unended interceptions of instances not seen since the cutoff at their last row, as interrupted; nothing else", async () => {
    const database = gw.server.database;
    const db = database.db;
    const [owner] = await query<{ id: string }>(gw, "SELECT id FROM users LIMIT 1");
    // The real clock's now: the gateway's own instance (seen within 10 s) must stay untouched too.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const ago = (s: number) => new Date(now.getTime() - s * 1000);
    const instance = (id: string, startedAt: Date) => ({ id, hostname: "h", pid: 1, startedAt });
    const dead = instance(Bun.randomUUIDv7(), ago(3600));
    const live = instance(Bun.randomUUIDv7(), ago(3600));
    const self = instance(Bun.randomUUIDv7(), ago(3600));
    // Stale by the 30 s this test sweeps with, not yet by the gateway's own sweep (60 s).
    await heartbeat(database, dead, ago(31));
    await heartbeat(database, live, ago(5));
    await heartbeat(database, self, ago(40)); // stale too, but the sweeper never judges itself

    const row = (instanceId: string, startedAt: Date, endedAt: Date | null = null) =>
      interceptionFixture({ initiatorId: owner!.id, model: "sweep", startedAt, endedAt, instanceId });
    const withRows = row(dead.id, ago(300));
    const bare = row(dead.id, ago(200));
    const finished = row(dead.id, ago(400), ago(390));
    const others = [row(live.id, ago(100)), row(self.id, ago(100))];
    await db.insert(interceptions).values([withRows, bare, finished, ...others]);
    await db.insert(tokenUsages).values({ interceptionId: withRows.id, createdAt: ago(250) });
    await db
      .insert(toolUsages)
      .values({ interceptionId: withRows.id, tool: "t", input: "{}", createdAt: ago(240) });
    await db.insert(modelThoughts).values({ interceptionId: withRows.id, content: "c", createdAt: ago(245) });

    expect(await sweepDeadInstances(database, self.id, ago(30))).toBe(2);
    const rows = await query<{
      id: string;
      ended_at: string | null;
      error_type: string | null;
      error_message: string;
    }>(
      gw,
      "SELECT id, ended_at, error_type, error_message FROM aibridge_interceptions WHERE model = 'sweep'",
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(new Date(byId.get(withRows.id)!.ended_at!)).toEqual(ago(240));
    expect(new Date(byId.get(bare.id)!.ended_at!)).toEqual(ago(200));
    for (const id of [withRows.id, bare.id]) {
      expect(byId.get(id)!.error_type).toBe("interrupted");
      expect(byId.get(id)!.error_message).toBe(INTERRUPTED_MESSAGE);
    }
    expect(new Date(byId.get(finished.id)!.ended_at!)).toEqual(ago(390));
    expect(byId.get(finished.id)!.error_type).toBeNull();
    for (const other of others) expect(byId.get(other.id)!.ended_at).toBeNull();
    // Swept once: the dead instance is gone, the others stay.
    const left = await query<{ id: string }>(gw, "SELECT id FROM aibridge_instances");
    expect(left.map((r) => r.id)).not.toContain(dead.id);
    expect(left.map((r) => r.id)).toEqual(expect.arrayContaining([live.id, self.id]));
    expect(await sweepDeadInstances(database, self.id, ago(30))).toBe(0);
  });

  test("the gateway heartbeats its own instance row and stores its id on every interception it starts", async () => {
    const [owner] = await query<{ id: string }>(gw, "SELECT id FROM users LIMIT 1");
    const own = await query<{ id: string }>(
      gw,
      `SELECT id FROM aibridge_instances WHERE pid = ${process.pid}`,
    );
    expect(own).toHaveLength(1);
    const started = interceptionFixture({ initiatorId: owner!.id, model: "own", startedAt: new Date() });
    await gw.server.recorder.startInterception({ ...started, endedAt: undefined });
    const [stored] = await query<{ instance_id: string }>(
      gw,
      `SELECT instance_id FROM aibridge_interceptions WHERE id = '${started.id}'`,
    );
    expect(stored?.instance_id).toBe(own[0]!.id);
  });
});

test("SIGKILL with 50 streams in flight: another process ends all 50 as interrupted", async () => {
  const db = await createTestDatabase();
  cleanup.push(() => db.dispose());
  const { upstream, count } = holdingUpstream();
  cleanup.push(() => upstream.stop());
  // Hidden test-only timings (src/cli/server-command.ts): SPEC §13's 10 s and 60 s, shortened.
  const env = gatewayEnv(db, upstream, {
    AIBRIDGE_TEST_HEARTBEAT_INTERVAL: "200ms",
    AIBRIDGE_TEST_INSTANCE_STALE_AFTER: "1s",
  });
  const first = await spawnServer([], { env });
  const key = bootstrapKey(first.stderr());
  const readers = await openStreams(first.url, key, 50);
  expect(count()).toBe(50);
  first.proc.kill("SIGKILL");
  await first.proc.exited;
  for (const { reader } of readers) await reader.cancel().catch(() => {});

  const second = await spawnServer([], { env });
  cleanup.push(() => second.stop("SIGKILL"));
  let listed = 0;
  for (let i = 0; i < 300 && listed < 50; i++) {
    const res = await fetch(`${second.url}/api/v2/aibridge/interceptions?limit=100`, {
      headers: { authorization: `Bearer ${key}` },
    });
    listed = (await res.json()).count;
    if (listed < 50) await Bun.sleep(100);
  }
  expect(listed).toBe(50);
  expect(await second.stop()).toBe(0);

  const check = await openDatabase({ postgresUrl: db.postgresUrl, dataDir: db.dataDir });
  try {
    const rows = resultRows<{ id: string; started_at: string; ended_at: string; error_type: string }>(
      await check.db.execute(sql`SELECT id, started_at, ended_at, error_type FROM aibridge_interceptions`),
    );
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(readers.map((r) => r.id)));
    for (const row of rows) {
      expect(row.error_type).toBe("interrupted");
      expect(new Date(row.ended_at)).toEqual(new Date(row.started_at));
    }
  } finally {
    await check.close();
  }
});
