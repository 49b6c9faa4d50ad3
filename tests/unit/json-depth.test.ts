import { describe, expect, test } from "bun:test";

import { jsonNestedDeeperThan, MAX_JSON_DEPTH } from "../../src/bridge/json-depth";

/** Nesting depth of a parsed value, the obvious recursive way (fine for the small values here). */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === "object" && value !== null)
    return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

// Strings full of what a naive scanner would miscount: brackets, quotes, escaped backslashes.
const TRICKY = ['[{"', "\\", '\\"', "\\\\", "]}", "{[{[", '"]', "\\\\\\", "\u2028", "é😀"];

function randomValue(random: () => number, budget: number): unknown {
  const r = random();
  if (budget <= 0 || r < 0.3) {
    const k = Math.floor(random() * 4);
    if (k === 0)
      return TRICKY[Math.floor(random() * TRICKY.length)]! + TRICKY[Math.floor(random() * TRICKY.length)]!;
    if (k === 1) return Math.floor(random() * 1000) - 500;
    if (k === 2) return random() < 0.5;
    return null;
  }
  const n = Math.floor(random() * 4);
  if (r < 0.65) return Array.from({ length: n }, () => randomValue(random, budget - 1));
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) out[`${TRICKY[i % TRICKY.length]}${i}`] = randomValue(random, budget - 1);
  return out;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("JSON nesting depth without recursion (SPEC §13)", () => {
  test("the limit is 512 levels: 512 pass, 513 do not", () => {
    const nested = (n: number) => `{"model":"m","x":${"[".repeat(n - 1)}${"]".repeat(n - 1)}}`;
    expect(MAX_JSON_DEPTH).toBe(512);
    expect(jsonNestedDeeperThan(nested(512), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonNestedDeeperThan(nested(513), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonNestedDeeperThan(nested(40_000), MAX_JSON_DEPTH)).toBe(true);
  });

  test("brackets inside strings do not count, whatever the escaping", () => {
    const deepString = JSON.stringify({ model: "m", text: `${"[{".repeat(5000)}"\\"\\\\` });
    expect(jsonNestedDeeperThan(deepString, 2)).toBe(false);
    expect(jsonNestedDeeperThan('{"a":"\\\\"}', 1)).toBe(false);
    expect(jsonNestedDeeperThan('{"a":"\\\\","b":[[1]]}', 2)).toBe(true);
    expect(jsonNestedDeeperThan('{"a":"\\"[[[[","b":[1]}', 2)).toBe(false);
  });

  test("agrees with a recursive walk on 3 000 random documents, compact and pretty-printed", () => {
    const random = seeded(11);
    for (let i = 0; i < 3000; i++) {
      const value = randomValue(random, 1 + Math.floor(random() * 12));
      const depth = depthOf(value);
      for (const text of [JSON.stringify(value), JSON.stringify(value, null, 2)]) {
        for (const max of [depth - 1, depth, depth + 1]) {
          if (max < 0) continue;
          const got = jsonNestedDeeperThan(text, max);
          if (got !== depth > max) throw new Error(`${text} at ${max}: got ${got}, depth ${depth}`);
        }
      }
    }
  });

  test("text that is not JSON gets an answer, never a throw or a hang", () => {
    for (const text of ["", '"', '{"a', '{"a\\', "]]]]", "[[[", '"\\"', "\\"]) {
      expect(typeof jsonNestedDeeperThan(text, 2)).toBe("boolean");
    }
    expect(jsonNestedDeeperThan("[[[", 2)).toBe(true);
  });
});
