import { describe, expect, test } from "bun:test";

import { TtlCache } from "../../src/auth/pool";

function clock(start = 0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("TtlCache (the per-(user, key) pool)", () => {
  test("an entry expires exactly at its TTL, fixed from insertion", () => {
    const c = clock();
    const cache = new TtlCache<string>(10, 1000, c.now);
    cache.set("a", "A");
    c.advance(999);
    expect(cache.get("a")).toBe("A");
    c.advance(1);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.size).toBe(0);
  });
  test("reading does not extend the TTL", () => {
    const c = clock();
    const cache = new TtlCache<string>(10, 1000, c.now);
    cache.set("a", "A");
    for (let i = 0; i < 9; i++) {
      c.advance(100);
      expect(cache.get("a")).toBe("A");
    }
    c.advance(100);
    expect(cache.get("a")).toBeUndefined();
  });
  test("at capacity the oldest insertion is evicted", () => {
    const c = clock();
    const cache = new TtlCache<number>(3, 10_000, c.now);
    for (const k of ["a", "b", "c"]) cache.set(k, 1);
    cache.set("d", 1);
    expect(cache.get("a")).toBeUndefined();
    expect(["b", "c", "d"].map((k) => cache.get(k))).toEqual([1, 1, 1]);
    cache.set("b", 2); // re-insertion makes b the newest
    cache.set("e", 1);
    expect(cache.get("c")).toBeUndefined();
    expect(cache.get("b")).toBe(2);
    expect(cache.size).toBe(3);
  });
  test("eviction only drops the cache's reference: a holder keeps its value", () => {
    const cache = new TtlCache<{ n: number }>(1, 10_000);
    const held = { n: 1 };
    cache.set("a", held);
    const inFlight = cache.get("a")!;
    cache.set("b", { n: 2 });
    expect(cache.get("a")).toBeUndefined();
    expect(inFlight.n).toBe(1);
  });
  test("deleteWhere and clear", () => {
    const cache = new TtlCache<{ user: string }>(10, 10_000);
    cache.set("k1", { user: "u1" });
    cache.set("k2", { user: "u1" });
    cache.set("k3", { user: "u2" });
    cache.deleteWhere((v) => v.user === "u1");
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
