import { describe, expect, test } from "bun:test";

import type { ScenarioResult } from "../../bench/report.ts";
import { combineRounds, medianOf } from "../../bench/rounds.ts";

describe("benchmark rounds", () => {
  test("the median of every number, at any depth; other values from the first round", () => {
    const rounds = [
      { a: 1, b: { c: 10, d: [1] }, s: "x" },
      { a: 5, b: { c: 30, d: [2] }, s: "y" },
      { a: 3, b: { c: 20, d: [3] }, s: "z" },
    ];
    expect(medianOf(rounds)).toEqual({ a: 3, b: { c: 20, d: [1] }, s: "x" });
    expect(medianOf([{ a: 1 }, { a: 4 }])).toEqual({ a: 2.5 });
    expect(medianOf([{ a: 1, opt: 7 }, { a: 2 }, { a: 3, opt: 9 }])).toEqual({ a: 2, opt: 8 });
  });

  const round = (rps: number, answered: number, recorded: number): ScenarioResult =>
    ({
      id: "aibridge-postgres",
      label: "aibridge (PostgreSQL)",
      measurements: { openai: { saturation: { rps } }, counted200: answered, countedFailures: 0 },
      records: { interceptions: recorded, ended: recorded, tokenUsages: recorded },
    }) as unknown as ScenarioResult;

  test("answers and records are summed across rounds, so one lost record still shows", () => {
    const combined = combineRounds([round(100, 10, 10), round(300, 10, 9), round(200, 10, 10)]);
    expect(combined.measurements!.openai.saturation.rps).toBe(200);
    expect(combined.measurements!.counted200).toBe(30);
    expect(combined.records).toEqual({ interceptions: 29, ended: 29, tokenUsages: 29 });
  });

  test("a failed round makes the scenario fail; a single round is itself", () => {
    const failed = { ...round(1, 1, 1), error: "boom" };
    expect(combineRounds([round(1, 1, 1), failed]).error).toBe("boom");
    const only = round(5, 2, 2);
    expect(combineRounds([only])).toBe(only);
  });
});
