import { describe, expect, test } from "bun:test";

import { SharedRedis } from "../../src/cluster/shared-redis.ts";
import { FakeRedisConnection, FakeTimers, settle } from "../helpers/fake-redis.ts";

function setup(mode: FakeRedisConnection["mode"] = "up") {
  const connection = new FakeRedisConnection();
  connection.mode = mode;
  const timers = new FakeTimers();
  const logs: { level: string; msg: string }[] = [];
  const changes: boolean[] = [];
  const redis = new SharedRedis({
    connection,
    timers,
    logger: {
      info: (msg) => logs.push({ level: "info", msg }),
      warn: (msg) => logs.push({ level: "warn", msg }),
    },
    onUpChange: (up) => changes.push(up),
    commandTimeoutMs: 50,
    connectTimeoutMs: 1000,
    retryEveryMs: 1000,
  });
  const warnings = () => logs.filter((l) => l.level === "warn").length;
  return { connection, timers, logs, changes, redis, warnings };
}

/** Starts while the fake clock is driven (a hanging connect only ends by its timeout). */
async function started(s: ReturnType<typeof setup>): Promise<void> {
  const starting = s.redis.start();
  await s.timers.advance(1000);
  await starting;
}

describe("SharedRedis", () => {
  test("starts up when Redis answers, without a warning", async () => {
    const s = setup();
    await started(s);
    expect(s.redis.up).toBe(true);
    expect(s.changes).toEqual([true]);
    expect(s.warnings()).toBe(0);
    expect(await s.redis.command("GET", ["k"])).toBe("OK");
  });

  test("starts down when Redis is unreachable: one warning, retries in the background, comes up by itself", async () => {
    const s = setup("refusing");
    await started(s);
    expect(s.redis.up).toBe(false);
    expect(s.changes).toEqual([false]);
    expect(s.warnings()).toBe(1);
    const connects = s.connection.connects;
    await s.timers.advance(5000);
    expect(s.connection.connects).toBeGreaterThanOrEqual(connects + 4);
    expect(s.warnings()).toBe(1);

    s.connection.mode = "up";
    await s.timers.advance(1000);
    expect(s.redis.up).toBe(true);
    expect(s.changes).toEqual([false, true]);
    expect(s.logs.at(-1)).toMatchObject({ level: "info" });
  });

  test("while down, commands fail at once without reaching Redis", async () => {
    const s = setup("refusing");
    await started(s);
    const sent = s.connection.sent.length;
    await expect(s.redis.command("GET", ["k"])).rejects.toThrow("unavailable");
    await expect(s.redis.evalScript("return 1", [], [])).rejects.toThrow("unavailable");
    expect(s.connection.sent.length).toBe(sent);
  });

  test("an error turns it down once for any number of failing requests; it comes back by itself", async () => {
    const s = setup();
    await started(s);
    s.connection.mode = "refusing";
    const failures = await Promise.allSettled(
      Array.from({ length: 20 }, () => s.redis.command("GET", ["k"])),
    );
    expect(failures.every((f) => f.status === "rejected")).toBe(true);
    expect(s.redis.up).toBe(false);
    expect(s.warnings()).toBe(1);
    expect(s.changes).toEqual([true, false]);

    await s.timers.advance(3000);
    expect(s.redis.up).toBe(false);
    s.connection.mode = "up";
    await s.timers.advance(1000);
    expect(s.redis.up).toBe(true);
    expect(s.changes).toEqual([true, false, true]);
    expect(s.warnings()).toBe(1);
  });

  test("an error Redis answers with (OOM, WRONGTYPE) fails that command only: it stays up, one warning", async () => {
    const s = setup();
    await started(s);
    s.connection.answer = () =>
      Promise.reject(
        Object.assign(new Error("OOM command not allowed when used memory > 'maxmemory'."), {
          code: "ERR_REDIS_SERVER_ERROR",
        }),
      );
    await expect(s.redis.command("HINCRBY", ["k", "f", "1"])).rejects.toThrow("OOM");
    await expect(s.redis.command("HINCRBY", ["k", "f", "1"])).rejects.toThrow("OOM");
    expect(s.redis.up).toBe(true);
    expect(s.changes).toEqual([true]);
    expect(s.warnings()).toBe(1);
  });

  test("a command that takes longer than 50 ms fails at 50 ms and turns it down", async () => {
    const s = setup();
    await started(s);
    s.connection.mode = "hanging";
    let outcome: string | null = null;
    s.redis.command("GET", ["k"]).then(
      () => (outcome = "answered"),
      (error: Error) => (outcome = error.message),
    );
    await s.timers.advance(49);
    expect(outcome).toBeNull();
    expect(s.redis.up).toBe(true);
    await s.timers.advance(1);
    expect(outcome!).toContain("50 ms");
    expect(s.redis.up).toBe(false);
  });

  test("a hanging Redis is probed again after each timeout, and only one connect is under way", async () => {
    const s = setup();
    await started(s);
    s.connection.mode = "hanging";
    s.connection.connected = false;
    const failing = s.redis.command("GET", ["k"]).then(
      () => "answered",
      () => "failed",
    );
    await s.timers.advance(50);
    expect(await failing).toBe("failed");
    const connects = s.connection.connects;
    await s.timers.advance(10_000);
    // One connect hangs; later attempts wait on the same one instead of opening more.
    expect(s.connection.connects).toBe(connects + 1);
    expect(s.redis.up).toBe(false);
  });

  test("a slow ping does not count as back", async () => {
    const s = setup();
    await started(s);
    s.connection.mode = "hanging";
    const failing = s.redis.command("GET", ["k"]).catch(() => {});
    await s.timers.advance(50);
    await failing;
    // Connected, but pings hang: the probe gives up after the command timeout and stays down.
    await s.timers.advance(5000);
    expect(s.redis.up).toBe(false);
    s.connection.mode = "up";
    await s.timers.advance(1000);
    expect(s.redis.up).toBe(true);
  });

  test("scripts run by SHA-1 and are loaded only when Redis does not know them", async () => {
    const s = setup();
    await started(s);
    s.connection.answer = (command) => `ran by ${command}`;
    expect(await s.redis.evalScript("return 1", ["a"], ["x", "y"])).toBe("ran by EVAL");
    expect(await s.redis.evalScript("return 1", ["a"], ["x", "y"])).toBe("ran by EVALSHA");
    const [first, second, third] = s.connection.sent.filter((c) => c.command.startsWith("EVAL"));
    const sha = new Bun.CryptoHasher("sha1").update("return 1").digest("hex");
    expect(first).toEqual({ command: "EVALSHA", args: [sha, "1", "a", "x", "y"] });
    expect(second).toEqual({ command: "EVAL", args: ["return 1", "1", "a", "x", "y"] });
    expect(third).toEqual({ command: "EVALSHA", args: [sha, "1", "a", "x", "y"] });
    // A restarted Redis forgot its scripts: loaded again, no failure.
    s.connection.scripts.clear();
    expect(await s.redis.evalScript("return 1", ["a"], [])).toBe("ran by EVAL");
    expect(s.redis.up).toBe(true);
  });

  test("registered scripts are loaded at once and again on every reconnection", async () => {
    const s = setup("refusing");
    await started(s);
    const sha = new Bun.CryptoHasher("sha1").update("return 2").digest("hex");
    s.redis.register("return 2");
    expect(s.connection.scripts.has(sha)).toBe(false);
    s.connection.mode = "up";
    await s.timers.advance(1000);
    expect(s.redis.up).toBe(true);
    expect(s.connection.scripts.has(sha)).toBe(true);
    // Redis restarted (scripts forgotten): loaded again before requests use it.
    s.connection.scripts.clear();
    s.connection.mode = "refusing";
    await s.redis.command("GET", ["k"]).catch(() => {});
    s.connection.mode = "up";
    await s.timers.advance(1000);
    expect(s.connection.scripts.has(sha)).toBe(true);
    const before = s.connection.sent.length;
    await s.redis.evalScript("return 2", [], []);
    expect(s.connection.sent.slice(before).map((c) => c.command)).toEqual(["EVALSHA"]);
    // Registered while up: loaded right away.
    s.redis.register("return 3");
    await settle();
    expect(s.connection.scripts.has(new Bun.CryptoHasher("sha1").update("return 3").digest("hex"))).toBe(
      true,
    );
  });

  test("close stops the background retries and closes the connection", async () => {
    const s = setup("refusing");
    await started(s);
    s.redis.close();
    const connects = s.connection.connects;
    await s.timers.advance(10_000);
    expect(s.connection.connects).toBe(connects);
    expect(s.connection.closed).toBe(true);
    expect(s.timers.scheduled).toBe(0);
    await settle();
  });
});
