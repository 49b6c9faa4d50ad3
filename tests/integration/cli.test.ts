import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";

import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { runCli, spawnServer } from "../helpers/process";

// These tests start real processes (PGlite initdb included) on a possibly loaded machine.
setDefaultTimeout(240_000);

const databases: TestDatabase[] = [];
async function freshDb() {
  const db = await createTestDatabase();
  databases.push(db);
  return { CODER_PG_CONNECTION_URL: db.postgresUrl, CODER_AIBRIDGE_DATA_DIR: db.dataDir };
}
afterAll(async () => {
  for (const db of databases) await db.dispose();
});

describe("bad configuration stops startup with exit code 2 naming the option", () => {
  test.each([
    [["--aibridge-rate-limit=-1"], "--aibridge-rate-limit"],
    [["--aibridge-circuit-breaker-timeout=soon"], "--aibridge-circuit-breaker-timeout"],
    [["--postgres-url", "::not a url::"], "--postgres-url"],
    [["--no-such-flag"], "--no-such-flag"],
  ])("%p", async (args, flag) => {
    const { code, stderr, stdout } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toContain(flag);
    expect(stdout).toBe("");
  });
  test("from the environment too", async () => {
    const { code, stderr } = await runCli([], { env: { CODER_AIBRIDGE_MAX_CONCURRENCY: "many" } });
    expect(code).toBe(2);
    expect(stderr).toContain("--aibridge-max-concurrency");
  });
});

test("--help and --version", async () => {
  const help = await runCli(["--help"]);
  expect(help.code).toBe(0);
  for (const word of [
    "users create",
    "tokens create",
    "migrate",
    "--aibridge-pool-ttl",
    "CODER_PG_CONNECTION_URL",
  ]) {
    expect(help.stdout).toContain(word);
  }
  const sub = await runCli(["tokens", "create", "--help"]);
  expect(sub.stdout).toContain("--lifetime");
  expect((await runCli(["--version"])).stdout).toMatch(/^aibridge \d+\.\d+\.\d+\n$/);
});

describe("users and tokens commands", () => {
  test("print only their result on stdout", async () => {
    const env = await freshDb();
    const migrate = await runCli(["migrate"], { env });
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toBe("");
    const user = await runCli(
      ["users", "create", "--username", "dev", "--name", "Dev One", "--role", "auditor"],
      { env },
    );
    expect(user.code).toBe(0);
    const parsed = JSON.parse(user.stdout);
    expect(parsed).toMatchObject({ username: "dev", name: "Dev One", role: "auditor", status: "active" });
    const token = await runCli(["tokens", "create", "--username=dev", "--lifetime", "1h", "--name", "ci"], {
      env,
    });
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^[A-Za-z0-9]{10}-[A-Za-z0-9]{22}\n$/);
    expect(token.stderr).not.toContain(token.stdout.trim());
    const dup = await runCli(["users", "create", "--username", "dev"], { env });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain("already taken");
    const missing = await runCli(["tokens", "create", "--username", "ghost"], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("not found");
    expect((await runCli(["users", "create", "--username", "x", "--role", "king"], { env })).code).toBe(2);
    expect(
      (await runCli(["tokens", "create", "--username", "dev", "--lifetime", "never"], { env })).code,
    ).toBe(2);
    const tooLong = await runCli(["tokens", "create", "--username", "dev", "--lifetime", "100000000h"], {
      env,
    });
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain("at most 876600h");
  });
});

describe("server process", () => {
  test("first start creates admin and prints its key once; SIGTERM exits 0", async () => {
    const env = await freshDb();
    const first = await spawnServer([], { env });
    expect(first.readyMs).toBeGreaterThan(0);
    const key = /^\s+([A-Za-z0-9]{10}-[A-Za-z0-9]{22})$/m.exec(first.stderr())?.[1];
    expect(key).toBeDefined();
    const me = await fetch(`${first.url}/api/v2/users/me`, { headers: { authorization: `Bearer ${key}` } });
    expect((await me.json()).username).toBe("admin");
    expect(await first.stop()).toBe(0);
    // The key is shown once: a later start prints no key.
    const second = await spawnServer([], { env });
    expect(second.readyMs).toBeGreaterThan(0);
    expect(second.stderr()).not.toContain(key!);
    expect(await second.stop("SIGINT")).toBe(0);
    expect(second.stderr()).not.toMatch(/[A-Za-z0-9]{10}-[A-Za-z0-9]{22}/);
  });

  test("a second server on the same address fails with a clear error", async () => {
    const env = await freshDb();
    const first = await spawnServer([], { env });
    const otherDb = await freshDb();
    const clash = await runCli(
      ["server", `--http-address=127.0.0.1:${first.port}`, "--prometheus-address="],
      { env: otherDb },
    );
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain(`127.0.0.1:${first.port}`);
    expect(await first.stop()).toBe(0);
  });

  test.skipIf(process.env.AIBRIDGE_TEST_DB === "postgres")(
    "the embedded data dir is locked against a second process",
    async () => {
      const env = await freshDb();
      const first = await spawnServer([], { env });
      const second = await runCli(["migrate"], { env });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain("in use");
      expect(await first.stop()).toBe(0);
      // Released on exit: the dir can be opened again.
      expect((await runCli(["migrate"], { env })).code).toBe(0);
    },
  );

  test("concurrent migrations against one database are safe", async () => {
    if (process.env.AIBRIDGE_TEST_DB !== "postgres") return;
    const env = await freshDb();
    const results = await Promise.all(Array.from({ length: 4 }, () => runCli(["migrate"], { env })));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
  });
});
