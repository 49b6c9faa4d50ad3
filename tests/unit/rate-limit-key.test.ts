import { describe, expect, test } from "bun:test";

import { type RateLimitKeyOf, rateLimitKey, sharedRateLimitKey } from "../../src/overload/rate-limit-key.ts";

const KEY = "abcdefghij-0123456789abcdefghijkl";
const OTHER = "zyxwvutsrq-0123456789abcdefghijkl";

describe.each([
  ["rateLimitKey", rateLimitKey],
  ["sharedRateLimitKey", sharedRateLimitKey],
] as [string, RateLimitKeyOf][])("%s", (_name, budgetKey) => {
  function keyOf(init: Record<string, string>, ip: string | null = "10.0.0.1"): string {
    return budgetKey(new Headers(init), () => ip);
  }

  test("X-Coder-Token is a key source", () => {
    const key = keyOf({ "X-Coder-Token": KEY });
    expect(key.startsWith("k:")).toBe(true);
  });

  test("Authorization: Bearer is a key source, scheme case-insensitive", () => {
    const expected = keyOf({ "X-Coder-Token": KEY });
    expect(keyOf({ Authorization: `Bearer ${KEY}` })).toBe(expected);
    expect(keyOf({ Authorization: `bearer ${KEY}` })).toBe(expected);
    expect(keyOf({ Authorization: `BEARER  ${KEY}` })).toBe(expected);
  });

  test("X-Api-Key is a key source", () => {
    expect(keyOf({ "X-Api-Key": KEY })).toBe(keyOf({ "X-Coder-Token": KEY }));
  });

  test("the raw key never appears", () => {
    const sources: Record<string, string>[] = [
      { "X-Coder-Token": KEY },
      { Authorization: `Bearer ${KEY}` },
      { "X-Api-Key": KEY },
    ];
    for (const init of sources) {
      const key = keyOf(init);
      expect(key).not.toContain(KEY);
      expect(key).not.toContain(KEY.slice(0, 10));
      expect(key).not.toContain(KEY.slice(11));
    }
  });

  test("X-Coder-Token wins over Authorization and X-Api-Key", () => {
    const key = keyOf({ "X-Coder-Token": KEY, Authorization: `Bearer ${OTHER}`, "X-Api-Key": OTHER });
    expect(key).toBe(keyOf({ "X-Coder-Token": KEY }));
  });

  test("Authorization wins over X-Api-Key", () => {
    expect(keyOf({ Authorization: `Bearer ${KEY}`, "X-Api-Key": OTHER })).toBe(keyOf({ "X-Api-Key": KEY }));
  });

  test("a non-Bearer Authorization is skipped for X-Api-Key", () => {
    expect(keyOf({ Authorization: `Basic ${OTHER}`, "X-Api-Key": KEY })).toBe(keyOf({ "X-Api-Key": KEY }));
    expect(keyOf({ Authorization: "Bearer ", "X-Api-Key": KEY })).toBe(keyOf({ "X-Api-Key": KEY }));
  });

  test("empty headers are absent", () => {
    expect(keyOf({ "X-Coder-Token": "", "X-Api-Key": KEY })).toBe(keyOf({ "X-Api-Key": KEY }));
    expect(keyOf({ "X-Coder-Token": "", Authorization: "", "X-Api-Key": "" })).toBe("ip:10.0.0.1");
  });

  test("different keys get different budgets", () => {
    expect(keyOf({ "X-Api-Key": KEY })).not.toBe(keyOf({ "X-Api-Key": OTHER }));
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(keyOf({ "X-Api-Key": `${KEY}${i}` }));
    expect(seen.size).toBe(10_000);
  });

  test("the same key always maps to the same budget", () => {
    expect(keyOf({ "X-Api-Key": KEY })).toBe(keyOf({ "X-Api-Key": KEY }, "10.9.9.9"));
  });

  test("no key falls back to the client IP", () => {
    expect(keyOf({}, "192.0.2.7")).toBe("ip:192.0.2.7");
    expect(keyOf({}, "2001:db8::1")).toBe("ip:2001:db8::1");
    expect(keyOf({ Authorization: `Basic ${KEY}` }, "192.0.2.7")).toBe("ip:192.0.2.7");
  });

  test("no key and no IP", () => {
    expect(keyOf({}, null)).toBe("ip:unknown");
    expect(keyOf({}, "")).toBe("ip:unknown");
  });

  test("a key never collides with the IP namespace", () => {
    expect(keyOf({ "X-Api-Key": "ip:1.2.3.4" }, null)).not.toBe("ip:1.2.3.4");
  });
});

test("every replica names a key's shared budget alike (no per-process seed)", async () => {
  const headers = { "X-Api-Key": KEY };
  const here = sharedRateLimitKey(new Headers(headers), () => null);
  const script = `import { sharedRateLimitKey } from "${import.meta.dir}/../../src/overload/rate-limit-key.ts";
process.stdout.write(sharedRateLimitKey(new Headers(${JSON.stringify(headers)}), () => null));`;
  const other = Bun.spawnSync([process.execPath, "-e", script]);
  expect(other.stdout.toString()).toBe(here);
});
