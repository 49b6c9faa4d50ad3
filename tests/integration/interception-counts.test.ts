import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import { sql } from "drizzle-orm";

import type { Db } from "../../src/db/engine";
import { resultRows } from "../../src/db/migrate";
import { interceptions } from "../../src/db/schema";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { api, createUserWithKey } from "../helpers/http";
import { interceptionFixture } from "../helpers/interceptions";

// The listing's `count` sums whole buckets of two trigger-kept rollups and counts only partial
// buckets in the table: this file checks both against brute force, through every kind of write.

let gw: TestGateway;
let db: Db;
let members: { id: string; key: string }[] = [];
const initiators: string[] = [];

// A seeded generator, so that a failure can be replayed.
let seed = 20261201;
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const PROVIDERS = ["openai", "anthropic"] as const;
const MODELS = ["gpt-4o", "claude-sonnet-4", "o3"] as const;
const CLIENTS = ["Unknown", "Codex", "Claude Code"] as const;
// Three days around a few midnights, so that hour and day buckets are both crossed.
const T0 = Date.parse("2025-06-01T21:00:00.000Z");
const SPAN_MS = 3 * 24 * 3_600_000;

function randomRow(ended: boolean) {
  return interceptionFixture({
    initiatorId: pick(initiators),
    provider: pick(PROVIDERS),
    model: pick(MODELS),
    client: pick(CLIENTS),
    startedAt: new Date(T0 + Math.floor(random() * SPAN_MS)),
    ...(ended ? {} : { endedAt: null }),
  });
}

async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  return resultRows<T>(await db.execute(query));
}

/** Both rollups, recomputed from the table, must equal what the triggers kept (zero rows aside). */
async function expectRollupsExact(): Promise<void> {
  const [diff] = await rows<{ hourly: number; daily: number }>(sql`
    SELECT
      (SELECT count(*) FROM (
        (SELECT bucket, provider, model, client, interceptions FROM aibridge_interception_counts WHERE interceptions <> 0
         EXCEPT
         SELECT date_trunc('hour', started_at, 'UTC'), provider, model, client, count(*)
         FROM aibridge_interceptions WHERE ended_at IS NOT NULL GROUP BY 1, 2, 3, 4)
        UNION ALL
        (SELECT date_trunc('hour', started_at, 'UTC'), provider, model, client, count(*)
         FROM aibridge_interceptions WHERE ended_at IS NOT NULL GROUP BY 1, 2, 3, 4
         EXCEPT
         SELECT bucket, provider, model, client, interceptions FROM aibridge_interception_counts WHERE interceptions <> 0)
      ) d)::int AS hourly,
      (SELECT count(*) FROM (
        (SELECT initiator_id, bucket, provider, model, client, interceptions FROM aibridge_interception_counts_by_initiator WHERE interceptions <> 0
         EXCEPT
         SELECT initiator_id, date_trunc('day', started_at, 'UTC'), provider, model, client, count(*)
         FROM aibridge_interceptions WHERE ended_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5)
        UNION ALL
        (SELECT initiator_id, date_trunc('day', started_at, 'UTC'), provider, model, client, count(*)
         FROM aibridge_interceptions WHERE ended_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5
         EXCEPT
         SELECT initiator_id, bucket, provider, model, client, interceptions FROM aibridge_interception_counts_by_initiator WHERE interceptions <> 0)
      ) d)::int AS daily`);
  expect(diff).toEqual({ hourly: 0, daily: 0 });
}

/** A random time bound: sometimes exactly on an hour or a day, sometimes anywhere. */
function randomTime(): Date {
  const t = T0 - 3_600_000 + Math.floor(random() * (SPAN_MS + 2 * 3_600_000));
  const r = random();
  if (r < 0.2) return new Date(Math.floor(t / 86_400_000) * 86_400_000);
  if (r < 0.45) return new Date(Math.floor(t / 3_600_000) * 3_600_000);
  return new Date(t);
}

interface Filters {
  initiator?: string;
  provider?: string;
  model?: string;
  client?: string;
  after?: Date;
  before?: Date;
}

function randomFilters(): Filters {
  const f: Filters = {};
  if (random() < 0.3) f.initiator = pick(initiators);
  if (random() < 0.3) f.provider = pick(PROVIDERS);
  if (random() < 0.3) f.model = pick(MODELS);
  if (random() < 0.3) f.client = pick(CLIENTS);
  const a = random() < 0.6 ? randomTime() : undefined;
  const b = random() < 0.6 ? randomTime() : undefined;
  if (a && b && a >= b) {
    f.after = b;
    f.before = a.getTime() === b.getTime() ? new Date(a.getTime() + 1) : a;
  } else {
    f.after = a;
    f.before = b;
  }
  return f;
}

function queryOf(f: Filters): string {
  return [
    f.initiator && `initiator:${f.initiator}`,
    f.provider && `provider:${f.provider}`,
    f.model && `model:"${f.model}"`,
    f.client && `client:"${f.client}"`,
    f.after && `started_after:${f.after.toISOString()}`,
    f.before && `started_before:${f.before.toISOString()}`,
  ]
    .filter(Boolean)
    .join(" ");
}

async function bruteForceCount(f: Filters, onlyInitiator?: string): Promise<number> {
  const conditions = [
    sql`ended_at IS NOT NULL`,
    onlyInitiator ? sql`initiator_id = ${onlyInitiator}` : undefined,
    f.initiator ? sql`initiator_id = ${f.initiator}` : undefined,
    f.provider ? sql`provider = ${f.provider}` : undefined,
    f.model ? sql`model = ${f.model}` : undefined,
    f.client ? sql`client = ${f.client}` : undefined,
    f.after ? sql`started_at >= ${f.after.toISOString()}` : undefined,
    f.before ? sql`started_at <= ${f.before.toISOString()}` : undefined,
  ].filter((c) => c !== undefined);
  const [row] = await rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM aibridge_interceptions WHERE ${sql.join(conditions, sql` AND `)}`,
  );
  return row!.n;
}

async function apiCount(key: string, f: Filters): Promise<number> {
  const res = await api(
    gw.url,
    `/api/v2/aibridge/interceptions?${new URLSearchParams({ q: queryOf(f), limit: "1" })}`,
    { key },
  );
  expect(res.status).toBe(200);
  return res.json.count;
}

async function expectCountsMatch(queries: number): Promise<void> {
  for (let i = 0; i < queries; i++) {
    const f = randomFilters();
    const member = pick(members);
    const [owner, mine] = await Promise.all([apiCount(gw.adminKey, f), apiCount(member.key, f)]);
    expect({ q: queryOf(f), count: owner }).toEqual({ q: queryOf(f), count: await bruteForceCount(f) });
    expect({ q: queryOf(f), member: member.id, count: mine }).toEqual({
      q: queryOf(f),
      member: member.id,
      count: await bruteForceCount(f, member.id),
    });
  }
}

beforeAll(async () => {
  gw = await startTestGateway({ retention: 0 });
  db = gw.server.database.db;
  members = await Promise.all(
    ["ann", "ben"].map((name) => createUserWithKey(gw.url, gw.adminKey, name, "member")),
  );
  const [admin] = await rows<{ id: string }>(sql`SELECT id FROM users WHERE username = 'admin'`);
  initiators.push(admin!.id, ...members.map((m) => m.id));
});
afterAll(() => gw.stop());

describe("finished-interception counts", () => {
  test("inserted finished rows and rows finished later are both counted, in every bucket", async () => {
    await db.insert(interceptions).values(Array.from({ length: 300 }, () => randomRow(true)));
    const unfinished = Array.from({ length: 300 }, () => randomRow(false));
    await db.insert(interceptions).values(unfinished);
    await expectRollupsExact();
    // End two thirds of them, in batches like the recorder's, leaving the rest in flight.
    for (let i = 0; i < 200; i += 50) {
      const batch = unfinished.slice(i, i + 50).map((r) => r.id);
      await db.execute(
        sql`UPDATE aibridge_interceptions SET ended_at = started_at + interval '2 seconds' WHERE id IN (${sql.join(
          batch.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`,
      );
    }
    await expectRollupsExact();
    await expectCountsMatch(60);
  }, 60_000);

  test("updates that move a finished row to another key, and deletes, keep the counts exact", async () => {
    await db.execute(
      sql`UPDATE aibridge_interceptions SET model = 'o3-mini' WHERE model = 'o3' AND client = 'Codex'`,
    );
    await db.execute(
      sql`UPDATE aibridge_interceptions SET started_at = started_at + interval '90 minutes' WHERE provider = 'anthropic' AND client = 'Unknown'`,
    );
    await db.execute(
      sql`DELETE FROM aibridge_interceptions WHERE client = 'Claude Code' AND model = 'gpt-4o'`,
    );
    await expectRollupsExact();
    await expectCountsMatch(60);
  }, 60_000);

  test("a truncated table counts nothing", async () => {
    await db.execute(sql`TRUNCATE aibridge_interceptions`);
    const [left] = await rows<{ n: number }>(
      sql`SELECT ((SELECT count(*) FROM aibridge_interception_counts) + (SELECT count(*) FROM aibridge_interception_counts_by_initiator))::int AS n`,
    );
    expect(left!.n).toBe(0);
    expect(await apiCount(gw.adminKey, {})).toBe(0);
  });
});
