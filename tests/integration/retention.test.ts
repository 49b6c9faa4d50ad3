import { afterAll, describe, expect, test } from "bun:test";

import { sql } from "drizzle-orm";

import { openMigratedDatabase } from "../../src/cli/database";
import type { Db } from "../../src/db/engine";
import { resultRows } from "../../src/db/migrate";
import { interceptions, tokenUsages, toolUsages, userPrompts } from "../../src/db/schema";
import { silentLogger } from "../../src/observability/logger";
import { deleteExpiredInterceptions } from "../../src/recorder/retention";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { startTestGateway, testConfig } from "../helpers/gateway";
import { interceptionFixture } from "../helpers/interceptions";

const DAY = 86_400_000;
const NOW = Date.parse("2025-09-10T12:00:00.000Z");

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function rows<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  return resultRows<T>(await db.execute(query));
}

/** `n` finished interceptions, `ageDays` old, each with a usage, a prompt and a tool call. */
async function seed(db: Db, userId: string, ageDays: number, n: number, model: string): Promise<string[]> {
  const ids = Array.from({ length: n }, () => Bun.randomUUIDv7());
  const startedAt = new Date(NOW - ageDays * DAY);
  const endedAt = new Date(startedAt.getTime() + 1000);
  await db
    .insert(interceptions)
    .values(ids.map((id) => interceptionFixture({ id, initiatorId: userId, model, startedAt, endedAt })));
  const child = (id: string) => ({ interceptionId: id, createdAt: endedAt });
  await db.insert(tokenUsages).values(ids.map((id) => ({ ...child(id), inputTokens: 1, outputTokens: 2 })));
  await db.insert(userPrompts).values(ids.map((id) => ({ ...child(id), prompt: "hi" })));
  await db.insert(toolUsages).values(ids.map((id) => ({ ...child(id), tool: "t", input: "{}" })));
  return ids;
}

async function counts(db: Db) {
  const [row] = await rows<Record<string, number>>(
    db,
    sql`SELECT
      (SELECT count(*) FROM aibridge_interceptions)::int AS interceptions,
      (SELECT count(*) FROM aibridge_token_usages)::int AS usages,
      (SELECT count(*) FROM aibridge_user_prompts)::int AS prompts,
      (SELECT count(*) FROM aibridge_tool_usages)::int AS tools,
      (SELECT count(*) FROM aibridge_interception_counts)::int AS hourly_buckets,
      (SELECT coalesce(sum(interceptions), 0) FROM aibridge_interception_counts)::int AS hourly_total,
      (SELECT count(*) FROM aibridge_interception_counts_by_initiator)::int AS daily_buckets`,
  );
  return row!;
}

async function adminId(db: Db): Promise<string> {
  const [user] = await rows<{ id: string }>(
    db,
    sql`INSERT INTO users (username) VALUES ('retained') RETURNING id`,
  );
  return user!.id;
}

describe("retention", () => {
  test("deletes old interceptions with their children, in batches, and prunes emptied count buckets", async () => {
    const database: TestDatabase = await createTestDatabase();
    cleanup.push(() => database.dispose());
    const opened = await openMigratedDatabase(testConfig({}, database), silentLogger);
    cleanup.push(() => opened.close());
    const db = opened.db;
    const user = await adminId(db);
    await seed(db, user, 90, 7, "old-model");
    await seed(db, user, 61, 5, "old-model");
    const kept = await seed(db, user, 10, 4, "new-model");
    expect(await counts(db)).toMatchObject({ interceptions: 16, hourly_buckets: 3, daily_buckets: 3 });

    // A batch of 3 rows forces several rounds.
    expect(await deleteExpiredInterceptions(db, new Date(NOW - 60 * DAY), 3)).toBe(12);
    expect(await counts(db)).toEqual({
      interceptions: 4,
      usages: 4,
      prompts: 4,
      tools: 4,
      hourly_buckets: 1,
      hourly_total: 4,
      daily_buckets: 1,
    });
    const left = await rows<{ id: string }>(db, sql`SELECT id FROM aibridge_interceptions ORDER BY id`);
    expect(left.map((r) => r.id)).toEqual([...kept].sort());
    expect(await deleteExpiredInterceptions(db, new Date(NOW - 60 * DAY), 3)).toBe(0);
  }, 120_000);

  test("the server applies --aibridge-retention when it starts", async () => {
    const database: TestDatabase = await createTestDatabase();
    cleanup.push(() => database.dispose());
    const before = await openMigratedDatabase(testConfig({}, database), silentLogger);
    const user = await adminId(before.db);
    await seed(before.db, user, 3, 2, "m");
    await seed(before.db, user, 0.5, 1, "m");
    await before.close();

    const gw = await startTestGateway({ retention: DAY }, { database, now: () => NOW });
    cleanup.push(() => gw.stop());
    const db = gw.server.database.db;
    for (let i = 0; i < 200 && (await counts(db)).interceptions !== 1; i++) await Bun.sleep(25);
    expect(await counts(db)).toMatchObject({ interceptions: 1, usages: 1, hourly_total: 1 });
  }, 120_000);
});
