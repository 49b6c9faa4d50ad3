import { describe, expect, test } from "bun:test";

import { RateLimiter } from "../../src/overload/rate-limiter.ts";
import {
  type ScriptStore,
  SharedRateLimiter,
  SLIDING_LOG_SCRIPT,
} from "../../src/overload/shared-rate-limiter.ts";

class FakeStore implements ScriptStore {
  up = true;
  readonly calls: { script: string; keys: string[]; args: string[] }[] = [];
  readonly registered: string[] = [];
  register(script: string): void {
    this.registered.push(script);
  }
  reply: () => Promise<unknown> = () => Promise.resolve([1, 4, 1_700_000_001_000_000, 0]);
  evalScript(script: string, keys: string[], args: string[]): Promise<unknown> {
    this.calls.push({ script, keys, args });
    return this.reply();
  }
}

function setup(limit = 5) {
  const store = new FakeStore();
  const fallback = new RateLimiter({ limit, now: () => 1_700_000_000_000 });
  const limiter = new SharedRateLimiter({ limit, store, fallback, prefix: "test:rl:" });
  return { store, fallback, limiter };
}

describe("SharedRateLimiter", () => {
  test("asks the store with the key prefixed, the limit, a 1 s window, a unique member and a 1 s expiry", async () => {
    const { store, limiter } = setup(5);
    await limiter.check("k:abc");
    await limiter.check("k:abc");
    expect(store.calls).toHaveLength(2);
    const [first, second] = store.calls;
    expect(first!.script).toBe(SLIDING_LOG_SCRIPT);
    expect(store.registered).toEqual([SLIDING_LOG_SCRIPT]);
    expect(first!.keys).toEqual(["test:rl:k:abc"]);
    expect(first!.args.slice(0, 2)).toEqual(["5", "1000000"]);
    expect(first!.args[3]).toBe("1000");
    expect(first!.args).toHaveLength(4); // no injected time: the Redis server's clock decides
    expect(first!.args[2]).not.toBe(second!.args[2]);
  });

  test("an admission becomes the same decision shape as the in-process limiter's", async () => {
    const { store, limiter } = setup(5);
    store.reply = () => Promise.resolve([1, 3, 1_700_000_001_000_001, 0]);
    expect(await limiter.check("k")).toEqual({
      allowed: true,
      limit: 5,
      remaining: 3,
      resetAt: 1_700_000_002,
      retryAfterSeconds: 0,
    });
  });

  test("a refusal: Retry-After is the wait in whole seconds, at least 1", async () => {
    const { store, limiter } = setup(5);
    store.reply = () => Promise.resolve([0, 0, 1_700_000_000_900_000, 400_000]);
    expect(await limiter.check("k")).toEqual({
      allowed: false,
      limit: 5,
      remaining: 0,
      resetAt: 1_700_000_001,
      retryAfterSeconds: 1,
    });
    store.reply = () => Promise.resolve([0, 0, 1_700_000_000_900_000, 1_000_001]);
    expect((await limiter.check("k")).retryAfterSeconds).toBe(2);
    store.reply = () => Promise.resolve([0, 0, 1_700_000_000_900_000, 0]);
    expect((await limiter.check("k")).retryAfterSeconds).toBe(1);
  });

  test("while the store is down the in-process limiter decides, synchronously, without asking the store", () => {
    const { store, limiter } = setup(2);
    store.up = false;
    const decisions = [limiter.check("k"), limiter.check("k"), limiter.check("k")];
    for (const d of decisions) expect(d).not.toBeInstanceOf(Promise);
    expect(decisions.map((d) => (d as { allowed: boolean }).allowed)).toEqual([true, true, false]);
    expect(store.calls).toHaveLength(0);
  });

  test("a failing store falls back to the in-process decision for that request", async () => {
    const { store, limiter } = setup(1);
    store.reply = () => Promise.reject(new Error("Connection has failed"));
    expect(await limiter.check("k")).toMatchObject({ allowed: true, limit: 1 });
    expect(await limiter.check("k")).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  test("a reply of the wrong shape falls back too", async () => {
    const { store, limiter } = setup(3);
    for (const reply of [null, "OK", [1, 2, 3], [1, "x", 3, 4], [1, 2, Number.NaN, 0]]) {
      store.reply = () => Promise.resolve(reply);
      expect(await limiter.check("k")).toMatchObject({ limit: 3 });
    }
  });

  test("an injected clock goes to the script in microseconds, with a long expiry", async () => {
    const store = new FakeStore();
    const limiter = new SharedRateLimiter({
      limit: 2,
      store,
      fallback: new RateLimiter({ limit: 2 }),
      prefix: "p:",
      now: () => 1_700_000_000_123.4,
    });
    await limiter.check("k");
    expect(store.calls[0]!.args.slice(3)).toEqual(["60000", "1700000000123400"]);
  });
});
