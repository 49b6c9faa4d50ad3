import { afterAll, expect, setDefaultTimeout, test } from "bun:test";

import { sql } from "drizzle-orm";

import { openDatabase } from "../../src/db/engine";
import { resultRows } from "../../src/db/migrate";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { holdingUpstream } from "../helpers/holding-upstream";
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
  const env = {
    CODER_PG_CONNECTION_URL: db.postgresUrl,
    CODER_AIBRIDGE_DATA_DIR: db.dataDir,
    CODER_AIBRIDGE_ANTHROPIC_BASE_URL: upstream.url,
    CODER_AIBRIDGE_ANTHROPIC_KEY: "sk-ant-test-0123456789",
    CODER_SHUTDOWN_GRACE_PERIOD: "20s",
  };
  const server = await spawnServer([], { env });
  const key = /^\s+([A-Za-z0-9]{10}-[A-Za-z0-9]{22})$/m.exec(server.stderr())![1]!;

  const streams = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const res = await fetch(`${server.url}/api/v2/aibridge/anthropic/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: JSON.stringify({
          model: "claude-x",
          stream: true,
          max_tokens: 5,
          messages: [{ role: "user", content: "hold" }],
        }),
      });
      const reader = res.body!.getReader();
      await reader.read();
      return { id: res.headers.get("x-aibridge-interception-id")!, reader };
    }),
  );
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
  const bodies = await Promise.all(
    streams.map(async ({ reader }) => {
      let text = "";
      for (let r = await reader.read(); !r.done; r = await reader.read())
        text += new TextDecoder().decode(r.value);
      return text;
    }),
  );
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
