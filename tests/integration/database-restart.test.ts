import { afterAll, expect, setDefaultTimeout, test } from "bun:test";

import postgres from "postgres";

import { createTestDatabase, TEST_ENGINE } from "../helpers/database";
import { MockUpstream } from "../helpers/mock-upstream";
import { spawnServer } from "../helpers/process";

// A real server process on a possibly loaded machine.
setDefaultTimeout(120_000);

const ADMIN_URL = process.env.AIBRIDGE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

// PostgreSQL restarts, fails over and has its backends terminated by operators: the gateway must
// answer 503 while it cannot record, and carry on afterwards, whatever state each connection was in.
test.skipIf(TEST_ENGINE !== "postgres")(
  "backends terminated again and again under load: the process survives and serves again",
  async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.dispose());
    const upstream = new MockUpstream();
    cleanup.push(() => upstream.stop());
    upstream.handler = () =>
      Response.json({ id: "c", choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } });
    const server = await spawnServer([], {
      env: {
        CODER_PG_CONNECTION_URL: db.postgresUrl,
        CODER_AIBRIDGE_DATA_DIR: db.dataDir,
        CODER_AIBRIDGE_OPENAI_BASE_URL: upstream.url,
        CODER_AIBRIDGE_OPENAI_KEY: "sk-test-0123456789",
      },
    });
    cleanup.push(() => server.stop("SIGKILL"));
    const key = /^\s+([A-Za-z0-9]{10}-[A-Za-z0-9]{22})$/m.exec(server.stderr())![1]!;
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    cleanup.push(() => admin.end());
    const database = new URL(db.postgresUrl).pathname.slice(1);
    const terminateBackends = () =>
      admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${database}`;

    const get = (path: string) =>
      fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${key}` },
        signal: AbortSignal.timeout(20_000),
      }).then(
        (r) => r.status,
        () => 0,
      );
    const chat = () =>
      fetch(`${server.url}/api/v2/aibridge/openai/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
        signal: AbortSignal.timeout(20_000),
      }).then(
        (r) => r.status,
        () => 0,
      );

    const statuses = new Set<number>();
    for (let round = 0; round < 12; round++) {
      // More requests than the pool has connections, so that it opens new ones while they are cut.
      const burst = Array.from({ length: 48 }, (_, i) =>
        i % 2 ? get("/api/v2/aibridge/interceptions?limit=5") : chat(),
      );
      await Bun.sleep(round % 3);
      await terminateBackends();
      for (const status of await Promise.all(burst)) statuses.add(status);
      expect(server.proc.exitCode).toBeNull();
    }
    // Only answers the SPEC allows: served, or refused while the database was unreachable.
    expect([...statuses].filter((s) => s !== 200 && s !== 503)).toEqual([]);

    // Pool connections cut in the last round fail once each when next used (a 503), then reconnect.
    const servedAgain = async (request: () => Promise<number>) => {
      let status = 0;
      for (let i = 0; i < 200 && status !== 200; i++) {
        status = await request();
        if (status !== 200) await Bun.sleep(25);
      }
      return status;
    };
    expect(await servedAgain(() => get("/readyz"))).toBe(200);
    expect(await chat()).toBe(200);
    expect(await servedAgain(() => get("/api/v2/aibridge/interceptions?limit=5"))).toBe(200);
    expect(server.proc.exitCode).toBeNull();
    expect(server.stderr()).not.toContain("Unhandled");
  },
);
