import { describe, expect, test } from "bun:test";

import { type RateDecision, RateLimiter } from "../../src/overload/rate-limiter.ts";

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function limiterWithClock(limit: number, start = 1_700_000_000_000) {
  const clock = { now: start };
  const limiter = new RateLimiter({ limit, now: () => clock.now });
  return { clock, limiter };
}

/** Admitted times of one key, in order, with brute-force answers about them. */
class Log {
  readonly times: number[] = [];

  /** Admissions in the half-open second (t - 1000, t]. */
  inWindowEndingAt(t: number): number {
    let n = 0;
    for (let i = this.times.length - 1; i >= 0 && this.times[i]! > t - 1000; i--) n++;
    return n;
  }

  /** No `limit + 1` admissions ever fit in one 1-second interval. */
  expectNeverOver(limit: number): void {
    for (let i = 0; i + limit < this.times.length; i++) {
      const gap = this.times[i + limit]! - this.times[i]!;
      if (gap < 1000) throw new Error(`${limit + 1} admissions within ${gap} ms from ${this.times[i]}`);
    }
  }
}

interface Scenario {
  limit: number;
  keys: number;
  requests: number;
  /** Next arrival gap in ms. */
  gap: (random: () => number) => number;
}

/**
 * Drives one limiter through random arrivals and checks every decision against a brute-force log:
 * safety always; with an integer clock also exactness (refused only when the window is really full,
 * exact remaining / Retry-After / reset). Some refused callers wait, silent, for exactly Retry-After,
 * come back and must be admitted.
 */
function runScenario(s: Scenario, seed: number, exact: boolean): { admitted: number; refused: number } {
  const random = seededRandom(seed);
  const { clock, limiter } = limiterWithClock(s.limit);
  const logs = Array.from({ length: s.keys }, () => new Log());
  const comebacks: { at: number; key: number }[] = [];
  let admitted = 0;
  let refused = 0;

  for (let n = 0; n < s.requests; n++) {
    let key = Math.floor(random() * s.keys);
    let mustAdmit = false;
    const due = comebacks[0];
    if (due !== undefined && due.at <= clock.now + s.gap(random)) {
      comebacks.shift();
      clock.now = Math.max(clock.now, due.at);
      key = due.key;
      mustAdmit = due.at === clock.now;
    } else {
      clock.now += s.gap(random);
      // A caller waiting out its Retry-After sends nothing meanwhile.
      if (comebacks.some((c) => c.key === key)) continue;
    }
    const log = logs[key]!;
    const before = log.inWindowEndingAt(clock.now);
    const decision: RateDecision = limiter.check(`key-${key}`);
    expect(decision.limit).toBe(s.limit);

    if (decision.allowed) {
      admitted++;
      log.times.push(clock.now);
      expect(decision.retryAfterSeconds).toBe(0);
      if (exact) {
        expect(decision.remaining).toBe(s.limit - before - 1);
        expect(decision.resetAt).toBe(Math.ceil((clock.now + 1000) / 1000));
      }
      continue;
    }

    refused++;
    if (mustAdmit) throw new Error(`key ${key} waited Retry-After and was refused at ${clock.now}`);
    expect(decision.remaining).toBe(0);
    expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    if (exact) {
      expect(before).toBe(s.limit);
      const admitsAt = log.times[log.times.length - s.limit]! + 1000;
      expect(decision.retryAfterSeconds).toBe(Math.max(1, Math.ceil((admitsAt - clock.now) / 1000)));
      expect(decision.resetAt).toBe(Math.ceil((log.times.at(-1)! + 1000) / 1000));
    }
    if (random() < 0.3 && !comebacks.some((c) => c.key === key)) {
      comebacks.push({ at: clock.now + decision.retryAfterSeconds * 1000, key });
      comebacks.sort((a, b) => a.at - b.at);
    }
  }

  for (const log of logs) log.expectNeverOver(s.limit);
  return { admitted, refused };
}

const integerGap =
  (mostlySame: number, spread: number) =>
  (random: () => number): number =>
    random() < mostlySame ? 0 : Math.floor(random() * spread);

/** Mostly same-instant bursts, with pauses long enough for keys to be forgotten. */
function burstsAndPauses(random: () => number): number {
  if (random() < 0.9) return 0;
  return random() < 0.5 ? Math.floor(random() * 50) : 1500 + Math.floor(random() * 2000);
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
    test(`${name}: never over, exact with an integer clock`, () => {
      for (const seed of [1, 2, 3]) {
        const { admitted, refused } = runScenario(scenario, seed, true);
        // The scenario must exercise both outcomes to mean anything.
        expect(admitted).toBeGreaterThan(0);
        expect(refused).toBeGreaterThan(0);
      }
    });
  }

  test("fractional clock: never over, and waiting Retry-After is enough", () => {
    for (const limit of [1, 3, 10, 250, 2000]) {
      const spread = 600 / limit;
      const { refused } = runScenario(
        { limit, keys: 3, requests: 20_000, gap: (random) => (random() < 0.3 ? 0 : random() * spread) },
        limit,
        false,
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
