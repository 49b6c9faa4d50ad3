import { describe, expect, test } from "bun:test";

import { ConcurrencyLimiter } from "../../src/overload/concurrency.ts";

describe("ConcurrencyLimiter", () => {
  test("admits up to max, then refuses", () => {
    const limiter = new ConcurrencyLimiter(2);
    expect(limiter.tryAcquire()).not.toBeNull();
    expect(limiter.tryAcquire()).not.toBeNull();
    expect(limiter.tryAcquire()).toBeNull();
    expect(limiter.inFlight).toBe(2);
  });

  test("a released slot can be taken again", () => {
    const limiter = new ConcurrencyLimiter(1);
    const slot = limiter.tryAcquire();
    expect(limiter.tryAcquire()).toBeNull();
    slot?.release();
    expect(limiter.inFlight).toBe(0);
    expect(limiter.tryAcquire()).not.toBeNull();
  });

  test("release is idempotent", () => {
    const limiter = new ConcurrencyLimiter(3);
    const a = limiter.tryAcquire()!;
    limiter.tryAcquire();
    a.release();
    a.release();
    a.release();
    expect(limiter.inFlight).toBe(1);
  });

  test("a refusal does not change the count", () => {
    const limiter = new ConcurrencyLimiter(1);
    limiter.tryAcquire();
    for (let i = 0; i < 5; i++) expect(limiter.tryAcquire()).toBeNull();
    expect(limiter.inFlight).toBe(1);
  });

  test("max 0 never refuses but still counts", () => {
    const limiter = new ConcurrencyLimiter(0);
    const slots = Array.from({ length: 10_000 }, () => limiter.tryAcquire());
    expect(slots.every((slot) => slot !== null)).toBe(true);
    expect(limiter.inFlight).toBe(10_000);
    for (const slot of slots) slot?.release();
    expect(limiter.inFlight).toBe(0);
  });

  test("interleaved acquire/release keeps an exact count", () => {
    const limiter = new ConcurrencyLimiter(5);
    const held: { release(): void }[] = [];
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 10_000; i++) {
      if (random() < 0.55) {
        const slot = limiter.tryAcquire();
        if (held.length < 5) expect(slot).not.toBeNull();
        else expect(slot).toBeNull();
        if (slot) held.push(slot);
      } else {
        held.splice(Math.floor(random() * held.length), 1)[0]?.release();
      }
      expect(limiter.inFlight).toBe(held.length);
    }
  });
});
