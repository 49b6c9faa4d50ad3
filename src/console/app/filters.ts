// The list pages' filters and pagination, as they live in the URL and as the API's `q` (SPEC §9, §18).

export const RANGES = ["1h", "24h", "7d", "30d", "90d", "month", "all"] as const;
export type Range = (typeof RANGES)[number];
export const RANGE_LABELS: Record<Range, string> = {
  "1h": "Last hour",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  "90d": "Last 90 days",
  month: "This month (UTC)",
  all: "All time",
};
const RANGE_MS: Record<Exclude<Range, "all" | "month">, number> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
  "90d": 90 * 86_400_000,
};

export const PAGE_SIZES = [25, 50, 100] as const;
export type PageSize = (typeof PAGE_SIZES)[number];

export interface Filters {
  /** Username, user id or `me`; empty = everyone the key may read. */
  user: string;
  provider: string;
  client: string;
  model: string;
  range: Range;
  /** 1-based. */
  page: number;
  size: PageSize;
}

export const DEFAULT_FILTERS: Filters = {
  user: "",
  provider: "",
  client: "",
  model: "",
  range: "24h",
  page: 1,
  size: 25,
};

function positiveInt(value: string | null): number | null {
  if (value === null || !/^\d{1,9}$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 ? n : null;
}

/** Reads the filters from the URL's query; anything missing or malformed takes its default. */
export function parseFilters(params: URLSearchParams, defaults: Filters = DEFAULT_FILTERS): Filters {
  const range = params.get("range");
  const size = Number(params.get("size"));
  return {
    user: params.get("user")?.trim() ?? "",
    provider: params.get("provider")?.trim() ?? "",
    client: params.get("client")?.trim() ?? "",
    model: params.get("model")?.trim() ?? "",
    range: (RANGES as readonly string[]).includes(range ?? "") ? (range as Range) : defaults.range,
    page: positiveInt(params.get("page")) ?? 1,
    size: (PAGE_SIZES as readonly number[]).includes(size) ? (size as PageSize) : defaults.size,
  };
}

/** The URL query for the filters; defaults are left out so shared links stay short. */
export function filtersToParams(filters: Filters, defaults: Filters = DEFAULT_FILTERS): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ["user", "provider", "client", "model"] as const) {
    if (filters[key]) params.set(key, filters[key]);
  }
  if (filters.range !== defaults.range) params.set("range", filters.range);
  if (filters.page !== 1) params.set("page", String(filters.page));
  if (filters.size !== defaults.size) params.set("size", String(filters.size));
  return params;
}

/** A `q` value: always quoted (quotes are removed by the parser; `"` itself cannot be searched for). */
function quoted(value: string): string {
  return `"${value.replaceAll('"', "")}"`;
}

/** The start of the time range, or null for all time. */
export function rangeStart(range: Range, now: number): Date | null {
  if (range === "all") return null;
  if (range === "month") {
    const today = new Date(now);
    return new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
  }
  return new Date(now - RANGE_MS[range]);
}

/** The management API's `q` for these filters (the keys shared by interceptions, sessions and spend). */
export function searchQuery(filters: Filters, now: number): string {
  const terms: string[] = [];
  if (filters.user) terms.push(`initiator:${quoted(filters.user)}`);
  if (filters.provider) terms.push(`provider:${quoted(filters.provider)}`);
  if (filters.model) terms.push(`model:${quoted(filters.model)}`);
  if (filters.client) terms.push(`client:${quoted(filters.client)}`);
  const start = rangeStart(filters.range, now);
  if (start) terms.push(`started_after:${start.toISOString()}`);
  return terms.join(" ");
}

/** `limit` and `offset` for the page. */
export function pageWindow(filters: Pick<Filters, "page" | "size">): { limit: number; offset: number } {
  return { limit: filters.size, offset: (filters.page - 1) * filters.size };
}

/** The last page that holds rows (at least 1). */
export function lastPage(count: number, size: number): number {
  return Math.max(1, Math.ceil(count / size));
}
