import { describe, expect, test } from "bun:test";

import {
  dollarsToMicros,
  durationBetween,
  formatCost,
  formatDuration,
  formatTime,
  formatTokens,
  snippet,
  utcTitle,
} from "../../src/console/app/format";

describe("web console number and time formats (SPEC §18)", () => {
  test("tokens get thousands separators; unknown is a dash", () => {
    expect(formatTokens(0)).toBe("0");
    expect(formatTokens(999)).toBe("999");
    expect(formatTokens(1234567)).toBe("1,234,567");
    expect(formatTokens(null)).toBe("—");
    expect(formatTokens(undefined)).toBe("—");
  });

  test("dollars with cents from micro-dollars; under a cent reads <$0.01; unpriced is a dash", () => {
    expect(formatCost(0)).toBe("$0.00");
    expect(formatCost(1)).toBe("<$0.01");
    expect(formatCost(4_999)).toBe("<$0.01");
    expect(formatCost(5_000)).toBe("$0.01");
    expect(formatCost(1_234_567)).toBe("$1.23");
    expect(formatCost(12_345_678_901)).toBe("$12,345.68");
    expect(formatCost(null)).toBe("—");
  });

  test("times in the given zone, the year only when it is not the current one; UTC on hover", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(formatTime("2026-12-01T15:04:05Z", { locale: "en-US", timeZone: "UTC", now })).toBe(
      "Dec 1, 3:04:05 PM",
    );
    expect(formatTime("2026-12-01T15:04:05Z", { locale: "en-US", timeZone: "Asia/Tokyo", now })).toBe(
      "Dec 2, 12:04:05 AM",
    );
    expect(formatTime("2025-06-30T23:59:59Z", { locale: "en-US", timeZone: "UTC", now })).toBe(
      "Jun 30, 2025, 11:59:59 PM",
    );
    expect(formatTime(null)).toBe("—");
    expect(formatTime("not a time")).toBe("not a time");
    expect(utcTitle("2026-12-01T15:04:05.123+02:00")).toBe("2026-12-01 13:04:05 UTC");
    expect(utcTitle(null)).toBe("");
  });

  test("durations read in the largest sensible unit", () => {
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatDuration(850.4)).toBe("850 ms");
    expect(formatDuration(12_340)).toBe("12.3 s");
    expect(formatDuration(245_000)).toBe("4 min 05 s");
    expect(formatDuration(7_380_000)).toBe("2 h 03 min");
    expect(formatDuration(-1)).toBe("—");
    expect(formatDuration(null)).toBe("—");
    expect(durationBetween("2026-12-01T00:00:00Z", "2026-12-01T00:00:01.5Z")).toBe(1500);
    expect(durationBetween("2026-12-01T00:00:00Z", null)).toBeNull();
  });

  test("dollar input becomes micro-dollars; empty means the default; anything else is invalid", () => {
    expect(dollarsToMicros("50")).toBe(50_000_000);
    expect(dollarsToMicros(" $12.5 ")).toBe(12_500_000);
    expect(dollarsToMicros("0.07")).toBe(70_000);
    expect(dollarsToMicros("")).toBeNull();
    for (const bad of ["-1", "1.234", "abc", "1e3", "1,000", "."])
      expect(dollarsToMicros(bad)).toBe("invalid");
  });

  test("snippets are one line, cut with an ellipsis", () => {
    expect(snippet("  a\n\n b\tc ")).toBe("a b c");
    expect(snippet("x".repeat(10), 5)).toBe("xxxx…");
    expect(snippet(null)).toBe("");
  });
});
