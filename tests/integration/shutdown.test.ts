import { afterAll, expect, setDefaultTimeout, test } from "bun:test";

import { sql } from "drizzle-orm";

import { openDatabase } from "../../src/db/engine";
import { resultRows } from "../../src/db/migrate";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import {
  bootstrapKey,
  gatewayEnv,
  holdingUpstream,
  openStreams,
  readToEnd,
} from "../helpers/holding-upstream";
import { spawnServer } from "../helpers/process";

// Real processes and builds on a possibly loaded machine.
setDefaultTimeout(240_000);

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup) await fn();
});

test("SIGTERM while streams are in flight: they finish, every interception is ended with its usage, exit 0", async () => {
  const db: TestDatabase = await createTestDatabase();
  cleanup.push(() => db.dispose());
  const { upstream, releaseAll, count } = holdingUpstream();
  cleanup.push(() => upstream.stop());
  const env = gatewayEnv(db, upstream, { CODER_SHUTDOWN_GRACE_PERIOD: "20s" });
  const server = await spawnServer([], { env });
  const streams = await openStreams(server.url, bootstrapKey(server.stderr()), 8);
  expect(count()).toBe(8);

  server.proc.kill("SIGTERM");
  // Stopped accepting: new connections are refused while the streams keep going.
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`${server.url}/healthz`);
      await Bun.sleep(20);
    } catch {
      break;
    }
  }
  releaseAll();
  const bodies = await Promise.all(streams.map(({ reader }) => readToEnd(reader)));
  for (const body of bodies) expect(body).toContain("message_stop");
  expect(await server.proc.exited).toBe(0);

  const check = await openDatabase({ postgresUrl: db.postgresUrl, dataDir: db.dataDir });
  try {
    const rows = resultRows<{
      id: string;
      ended_at: Date | null;
      output_tokens: number | null;
      input_tokens: number | null;
    }>(
      await check.db.execute(
        sql`SELECT i.id, i.ended_at, u.input_tokens, u.output_tokens FROM aibridge_interceptions i LEFT JOIN aibridge_token_usages u ON u.interception_id = i.id`,
      ),
    );
    expect(rows).toHaveLength(8);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(streams.map((s) => s.id)));
    for (const row of rows) {
      expect(row.ended_at).not.toBeNull();
      expect(Number(row.output_tokens)).toBe(9);
    }
  } finally {
    await check.close();
  }
});
