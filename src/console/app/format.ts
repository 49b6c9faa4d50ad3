// How numbers and times are shown to people: pure functions, also run by the unit tests.

const tokens = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const dollars = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** `12345` → `12,345`; null (not reported) → `—`. */
export function formatTokens(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : tokens.format(n);
}

/** Micro-dollars → dollars with cents; a cost under a cent but above zero reads `<$0.01`. */
export function formatCost(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return "—";
  if (micros > 0 && micros < 5_000) return "<$0.01";
  return dollars.format(micros / 1_000_000);
}

/** A time in the browser's zone, e.g. `Dec 1, 3:04:05 PM` (the year only when it is not this one). */
export function formatTime(
  iso: string | null | undefined,
  options: { locale?: string; timeZone?: string; now?: number } = {},
): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const { locale, timeZone, now = Date.now() } = options;
  const year = (d: Date) => d.toLocaleString("en-US", { year: "numeric", timeZone });
  return date.toLocaleString(locale, {
    year: year(date) === year(new Date(now)) ? undefined : "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    second: "2-digit",
    timeZone,
  });
}

/** The same instant in UTC, for the hover title: `2026-12-01 15:04:05 UTC`. */
export function utcTitle(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Milliseconds → `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Time between two ISO instants. */
export function durationBetween(
  start: string | null | undefined,
  end: string | null | undefined,
): number | null {
  if (!start || !end) return null;
  return new Date(end).getTime() - new Date(start).getTime();
}

/** `12.5` or `$12.50` → 12 500 000 micro-dollars; empty → null; anything else → "invalid". */
export function dollarsToMicros(text: string): number | null | "invalid" {
  const trimmed = text.trim().replace(/^\$/, "");
  if (!trimmed) return null;
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(trimmed)) return "invalid";
  return Math.round(Number(trimmed) * 100) * 10_000;
}

/** One line of at most `max` characters (whitespace collapsed), with an ellipsis when cut. */
export function snippet(text: string | null | undefined, max = 120): string {
  if (!text) return "";
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
