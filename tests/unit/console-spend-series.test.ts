import { describe, expect, test } from "bun:test";

import { dayOf, daysBetween, metricOf, stackByModel } from "../../src/console/app/spend-series";
import type { SpendRow } from "../../src/console/app/types";

function row(key: string, cost: number | null, input = 0, output = 0): SpendRow {
  return {
    key,
    interceptions: 1,
    input_tokens: input,
    output_tokens: output,
    cache_read_input_tokens: 0,
    cache_write_input_tokens: 0,
    cost_micros: cost,
    unpriced_interceptions: cost === null ? 1 : 0,
  };
}

describe("spend chart series (SPEC §15, §18)", () => {
  test("every UTC day of the range, the last ones when it is long", () => {
    expect(daysBetween("2026-11-29T00:00:00Z", "2026-12-02T00:00:00Z")).toEqual([
      "2026-11-29",
      "2026-11-30",
      "2026-12-01",
    ]);
    expect(daysBetween("2026-11-29T15:00:00Z", "2026-11-30T01:00:00Z")).toEqual(["2026-11-29", "2026-11-30"]);
    expect(daysBetween("2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z", 7)).toHaveLength(7);
    expect(daysBetween("2026-12-02T00:00:00Z", "2026-12-01T00:00:00Z")).toEqual([]);
  });

  test("day keys may be dates or timestamps", () => {
    expect(dayOf("2026-12-01")).toBe("2026-12-01");
    expect(dayOf("2026-12-01T00:00:00.000Z")).toBe("2026-12-01");
  });

  test("cost or tokens of a row; unpriced counts as zero cost", () => {
    expect(metricOf(row("a", 5, 10, 20), "cost")).toBe(5);
    expect(metricOf(row("a", null, 10, 20), "cost")).toBe(0);
    expect(metricOf(row("a", 5, 10, 20), "tokens")).toBe(30);
  });

  test("stacks by model add up to the day's total, the rest under 'other models'", () => {
    const days = ["2026-11-30", "2026-12-01"];
    const total = [row("2026-11-30", 100), row("2026-12-01", 50)];
    const perModel = [
      { model: "a", rows: [row("2026-11-30", 60)] },
      { model: "b", rows: [row("2026-11-30", 30), row("2026-12-01", 50), row("2026-10-01", 999)] },
    ];
    expect(stackByModel(days, total, perModel, "cost")).toEqual([
      { label: "a", values: [60, 0] },
      { label: "b", values: [30, 50] },
      { label: "other models", values: [10, 0] },
    ]);
    // No remainder, no "other" series.
    expect(stackByModel(days, [row("2026-11-30", 90)], perModel, "cost").map((s) => s.label)).toEqual([
      "a",
      "b",
    ]);
  });
});
