import { describe, expect, test } from "bun:test";

import { RateLimiter } from "../../src/overload/rate-limiter.ts";
import { burstsAndPauses, integerGap, runScenario, type Scenario } from "../helpers/rate-limit-scenarios.ts";

function limiterWithClock(limit: number, start = 1_700_000_000_000) {
  const clock = { now: start };
  const limiter = new RateLimiter({ limit, now: () => clock.now });
  return { clock, limiter };
}

function clocked(limit: number) {
  const { clock, limiter } = limiterWithClock(limit);
  return { clock, check: (key: string) => limiter.check(key) };
}

describe("RateLimiter against a brute-force checker", () => {
  const cases: [string, Scenario][] = [
    ["limit 1", { limit: 1, keys: 1, requests: 5_000, gap: integerGap(0.2, 900) }],
    ["limit 2", { limit: 2, keys: 1, requests: 5_000, gap: integerGap(0.2, 700) }],
    ["limit 3, bursty", { limit: 3, keys: 1, requests: 5_000, gap: integerGap(0.6, 800) }],
    ["limit 7", { limit: 7, keys: 1, requests: 10_000, gap: integerGap(0.3, 200) }],
    ["limit 10, 5 keys", { limit: 10, keys: 5, requests: 20_000, gap: integerGap(0.3, 40) }],
    ["limit 64, 20 keys", { limit: 64, keys: 20, requests: 30_000, gap: integerGap(0.6, 3) }],
    ["limit 3, bursts and idle keys", { limit: 3, keys: 5, requests: 20_000, gap: burstsAndPauses }],
    ["limit 100", { limit: 100, keys: 1, requests: 20_000, gap: integerGap(0.5, 12) }],
    ["limit 1001", { limit: 1001, keys: 1, requests: 30_000, gap: integerGap(0.3, 3) }],
    ["limit 1500 (merged window)", { limit: 1500, keys: 2, requests: 40_000, gap: integerGap(0.5, 2) }],
    ["limit 5000 (merged window)", { limit: 5000, keys: 1, requests: 60_000, gap: integerGap(0.8, 2) }],
  ];

  for (const [name, scenario] of cases) {
    test(`${name}: never over, exact with an integer clock`, async () => {
      for (const seed of [1, 2, 3]) {
        const { admitted, refused } = await runScenario(scenario, seed, true, clocked(scenario.limit));
        // The scenario must exercise both outcomes to mean anything.
        expect(admitted).toBeGreaterThan(0);
        expect(refused).toBeGreaterThan(0);
      }
    });
  }

  test("fractional clock: never over, and waiting Retry-After is enough", async () => {
    for (const limit of [1, 3, 10, 250, 2000]) {
      const spread = 600 / limit;
      const { refused } = await runScenario(
        { limit, keys: 3, requests: 20_000, gap: (random) => (random() < 0.3 ? 0 : random() * spread) },
        limit,
        false,
        clocked(limit),
      );
      expect(refused).toBeGreaterThan(0);
    }
  });
});

describe("RateLimiter", () => {
  test("a burst of N at one instant is all admitted, the next is refused", () => {
    for (const limit of [1, 5, 1000, 1001, 100_000]) {
      const { limiter } = limiterWithClock(limit);
      for (let i = 0; i < limit; i++) {
        const decision = limiter.check("k");
        expect(decision.allowed).toBe(true);
        expect(decision.remaining).toBe(limit - i - 1);
      }
      expect(limiter.check("k").allowed).toBe(false);
    }
  });

  test("a large limit holds a burst in constant memory", () => {
    const { clock, limiter } = limiterWithClock(1_000_000);
    for (let i = 0; i < 1_000_000; i++) {
      if (!limiter.check("k").allowed) throw new Error(`refused #${i}`);
    }
    expect(limiter.check("k").allowed).toBe(false);
    clock.now += 999;
    expect(limiter.check("k").allowed).toBe(false);
    clock.now += 1;
    expect(limiter.check("k").allowed).toBe(true);
  });

  test("refusal headers: Retry-After, remaining and reset", () => {
    const { clock, limiter } = limiterWithClock(2, 1_700_000_000_250);
    limiter.check("k");
    clock.now += 500;
    limiter.check("k");
    clock.now += 100;
    const refused = limiter.check("k");
    expect(refused).toEqual({
      allowed: false,
      limit: 2,
      remaining: 0,
      // Budget full again once the admission at …750 is a second old.
      resetAt: Math.ceil((1_700_000_000_750 + 1000) / 1000),
      retryAfterSeconds: 1,
    });
    // The first admission (…250) leaves the window at …1250: 400 ms from now.
    clock.now += 399;
    expect(limiter.check("k").allowed).toBe(false);
    clock.now += 1;
    expect(limiter.check("k").allowed).toBe(true);
  });

  test("a key that waited Retry-After is admitted", () => {
    const { clock, limiter } = limiterWithClock(3);
    for (let i = 0; i < 3; i++) limiter.check("k");
    const refused = limiter.check("k");
    expect(refused.allowed).toBe(false);
    clock.now += refused.retryAfterSeconds * 1000;
    expect(limiter.check("k").allowed).toBe(true);
  });

  test("refused requests do not consume budget", () => {
    const { clock, limiter } = limiterWithClock(1);
    limiter.check("k");
    for (let i = 0; i < 100; i++) {
      clock.now += 9;
      expect(limiter.check("k").allowed).toBe(false);
    }
    clock.now += 100;
    expect(limiter.check("k").allowed).toBe(true);
  });

  test("keys are independent", () => {
    const { limiter } = limiterWithClock(2);
    limiter.check("a");
    limiter.check("a");
    expect(limiter.check("a").allowed).toBe(false);
    expect(limiter.check("b")).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.check("b").allowed).toBe(true);
    expect(limiter.check("b").allowed).toBe(false);
    expect(limiter.check("c").allowed).toBe(true);
  });

  test("limit 0 is off", () => {
    const { limiter } = limiterWithClock(0);
    for (let i = 0; i < 10_000; i++) expect(limiter.check("k").allowed).toBe(true);
    expect(limiter.check("k")).toMatchObject({ allowed: true, limit: 0, retryAfterSeconds: 0 });
    expect(limiter.trackedKeys).toBe(0);
  });

  test("a clock stepping backwards does not free budget", () => {
    const { clock, limiter } = limiterWithClock(2);
    limiter.check("k");
    limiter.check("k");
    clock.now -= 5000;
    expect(limiter.check("k").allowed).toBe(false);
  });

  test("state survives a generation swap while it still matters", () => {
    const { clock, limiter } = limiterWithClock(1, 0);
    limiter.check("other"); // the first generation starts now
    clock.now = 990;
    expect(limiter.check("k").allowed).toBe(true);
    clock.now = 1000;
    limiter.check("other"); // swap: "k" is in the previous generation
    clock.now = 1989;
    expect(limiter.check("k").allowed).toBe(false);
    expect(limiter.trackedKeys).toBe(2);
    clock.now = 1990;
    expect(limiter.check("k").allowed).toBe(true);
  });

  test("an idle key is forgotten and comes back with a full budget", () => {
    const { clock, limiter } = limiterWithClock(5);
    for (let i = 0; i < 5; i++) limiter.check("k");
    expect(limiter.trackedKeys).toBe(1);
    clock.now += 60_000;
    const decision = limiter.check("fresh");
    expect(decision.allowed).toBe(true);
    expect(limiter.trackedKeys).toBe(1);
    expect(limiter.check("k").remaining).toBe(4);
  });

  test("memory stays bounded over 2 million distinct keys", () => {
    const { clock, limiter } = limiterWithClock(10);
    let most = 0;
    // 10 000 new keys a second for 200 seconds.
    for (let i = 0; i < 2_000_000; i++) {
      if (i % 10 === 0) clock.now += 1;
      if (!limiter.check(`key-${i}`).allowed) throw new Error("a fresh key was refused");
      if (limiter.trackedKeys > most) most = limiter.trackedKeys;
    }
    // Two generations of at most ~1 second each.
    expect(most).toBeLessThanOrEqual(20_020);
    clock.now += 2_001;
    limiter.check("last");
    expect(limiter.trackedKeys).toBe(1);
  });
});
