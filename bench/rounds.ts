/**
 * Several rounds of one scenario become one result: the median of every measurement, so that a
 * passing disturbance of a shared machine moves one round, not the reported figure.
 */
import type { ScenarioResult } from "./report.ts";
import type { RecordCounts } from "./scenarios/types.ts";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Objects of one shape → one object whose every number is the median of theirs. */
export function medianOf<T>(items: T[]): T {
  const first = items[0];
  if (typeof first === "number") return median(items as number[]) as T;
  if (first === null || typeof first !== "object" || Array.isArray(first)) return first as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(first)) {
    const values = items.map((item) => (item as Record<string, unknown>)[key]).filter((v) => v !== undefined);
    out[key] = medianOf(values);
  }
  return out as T;
}

function sumRecords(all: RecordCounts[]): RecordCounts {
  return all.reduce((a, b) => ({
    interceptions: a.interceptions + b.interceptions,
    ended: a.ended + b.ended,
    tokenUsages: a.tokenUsages + b.tokenUsages,
  }));
}

/**
 * The rounds of one scenario as one result: measurements are medians, except the counts of answers
 * and records, which are summed (every round's records must match its answers, so must the sums).
 */
export function combineRounds(rounds: ScenarioResult[]): ScenarioResult {
  const [first] = rounds;
  if (!first) throw new Error("no rounds to combine");
  if (rounds.length === 1) return first;
  const failed = rounds.find((r) => r.error);
  if (failed) return failed;
  const measured = rounds.map((r) => r.measurements!);
  const records = rounds.map((r) => r.records).filter((r): r is RecordCounts => r !== undefined);
  return {
    ...first,
    measurements: {
      ...medianOf(measured),
      counted200: measured.reduce((n, m) => n + m.counted200, 0),
      countedFailures: measured.reduce((n, m) => n + m.countedFailures, 0),
    },
    ...(records.length === rounds.length ? { records: sumRecords(records) } : { records: undefined }),
  };
}
