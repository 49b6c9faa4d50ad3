import { expect } from "bun:test";

import type { RateDecision } from "../../src/overload/rate-limiter.ts";

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
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

export interface Scenario {
  limit: number;
  keys: number;
  requests: number;
  /** Next arrival gap in ms. */
  gap: (random: () => number) => number;
}

/** A limiter under test, driven by the scenario's clock (Unix ms). */
export interface ClockedLimiter {
  clock: { now: number };
  check(key: string): RateDecision | Promise<RateDecision>;
}

/**
 * Drives one limiter through random arrivals and checks every decision against a brute-force log:
 * safety always; with an integer clock also exactness (refused only when the window is really full,
 * exact remaining / Retry-After / reset). Some refused callers wait, silent, for exactly Retry-After,
 * come back and must be admitted.
 */
export async function runScenario(
  s: Scenario,
  seed: number,
  exact: boolean,
  { clock, check }: ClockedLimiter,
): Promise<{ admitted: number; refused: number }> {
  const random = seededRandom(seed);
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
    const outcome = check(`key-${key}`);
    const decision: RateDecision = outcome instanceof Promise ? await outcome : outcome;
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

export const integerGap =
  (mostlySame: number, spread: number) =>
  (random: () => number): number =>
    random() < mostlySame ? 0 : Math.floor(random() * spread);

/** Mostly same-instant bursts, with pauses long enough for keys to be forgotten. */
export function burstsAndPauses(random: () => number): number {
  if (random() < 0.9) return 0;
  return random() < 0.5 ? Math.floor(random() * 50) : 1500 + Math.floor(random() * 2000);
}
