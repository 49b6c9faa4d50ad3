import { describe, expect, test } from "bun:test";

import { Histogram } from "../../bench/load/histogram.ts";

/** The exact nearest-rank percentile of a list, for comparison. */
function exact(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] ?? 0;
}

describe("Histogram", () => {
  test("an empty histogram reports zeros", () => {
    const h = new Histogram();
    expect(h.count).toBe(0);
    expect(h.percentile(50)).toBe(0);
    expect(h.percentile(99)).toBe(0);
    expect(h.mean).toBe(0);
    expect(h.minValue).toBe(0);
    expect(h.maxRecorded).toBe(0);
  });

  test("small values are exact", () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.count).toBe(100);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.percentile(0)).toBe(1);
    expect(h.mean).toBe(50.5);
  });

  test("large values are within the relative precision of 2^-(subBits-1)", () => {
    const h = new Histogram(60_000_000, 11);
    const values: number[] = [];
    let x = 12345;
    for (let i = 0; i < 10_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const v = (x % 50_000_000) + 1;
      values.push(v);
      h.record(v);
    }
    for (const p of [1, 10, 50, 90, 99, 99.9]) {
      const want = exact(values, p);
      const got = h.percentile(p);
      expect(Math.abs(got - want) / want).toBeLessThanOrEqual(2 ** -10);
    }
    expect(h.percentile(100)).toBe(Math.max(...values));
  });

  test("every bucket boundary maps back into its bucket", () => {
    const h = new Histogram(1 << 20, 4);
    for (let v = 0; v <= 1 << 20; v += 7) {
      const single = new Histogram(1 << 20, 4);
      single.record(v);
      // A single value is reported as itself (clamped to min/max).
      expect(single.percentile(50)).toBe(v);
      h.record(v);
    }
    expect(h.maxRecorded).toBe(Math.floor((1 << 20) / 7) * 7);
  });

  test("values are rounded, negatives become 0 and values above the maximum are clamped", () => {
    const h = new Histogram(1000);
    h.record(-5);
    h.record(2.6);
    h.record(5000);
    expect(h.minValue).toBe(0);
    expect(h.percentile(50)).toBe(3);
    expect(h.maxRecorded).toBe(1000);
  });

  test("merge adds counts, sums and extremes", () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let v = 1; v <= 50; v++) a.record(v);
    for (let v = 51; v <= 100; v++) b.record(v);
    a.merge(b);
    expect(a.count).toBe(100);
    expect(a.percentile(50)).toBe(50);
    expect(a.maxRecorded).toBe(100);
    expect(a.minValue).toBe(1);
    expect(() => a.merge(new Histogram(1000))).toThrow();
  });

  test("a maximum of 2^31 or more is refused", () => {
    expect(() => new Histogram(2 ** 31)).toThrow();
  });
});
