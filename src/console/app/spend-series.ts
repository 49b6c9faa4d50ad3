// Turns spend rows (SPEC §15) into chart series: pure, unit-tested.

import type { SpendRow } from "./types";

export type SpendMetric = "cost" | "tokens";

export function metricOf(row: SpendRow, metric: SpendMetric): number {
  return metric === "cost" ? (row.cost_micros ?? 0) : row.input_tokens + row.output_tokens;
}

/** Every UTC day from `from` up to (not including) `to`, as `YYYY-MM-DD`; at most `max` days (the last ones). */
export function daysBetween(from: string, to: string, max = 366): string[] {
  const start = new Date(from);
  const end = new Date(to);
  const days: string[] = [];
  const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  while (day < end) {
    days.push(day.toISOString().slice(0, 10));
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return days.slice(-max);
}

/** A day key as the API sends it (`2026-12-01` or a full timestamp) → `YYYY-MM-DD`. */
export function dayOf(key: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(key) ? key.slice(0, 10) : new Date(key).toISOString().slice(0, 10);
}

/**
 * Per-day values for each of the top models, plus "other models" for what the top ones leave of the
 * day's total (so the stacks add up to the total whatever the number of models).
 */
export function stackByModel(
  days: string[],
  total: SpendRow[],
  perModel: { model: string; rows: SpendRow[] }[],
  metric: SpendMetric,
): { label: string; values: number[] }[] {
  const index = new Map(days.map((d, i) => [d, i]));
  const valuesOf = (rows: SpendRow[]) => {
    const values = days.map(() => 0);
    for (const row of rows) {
      const i = index.get(dayOf(row.key));
      if (i !== undefined) values[i]! += metricOf(row, metric);
    }
    return values;
  };
  const series = perModel.map(({ model, rows }) => ({ label: model, values: valuesOf(rows) }));
  const totals = valuesOf(total);
  const other = totals.map((t, i) => Math.max(0, t - series.reduce((sum, s) => sum + s.values[i]!, 0)));
  if (other.some((v) => v > 0)) series.push({ label: "other models", values: other });
  return series;
}
