import { describe, expect, test } from "bun:test";

import { parseInterceptionQuery } from "../../src/api/search-query";
import {
  DEFAULT_FILTERS,
  filtersToParams,
  lastPage,
  pageWindow,
  parseFilters,
  rangeStart,
  searchQuery,
} from "../../src/console/app/filters";

const NOW = Date.parse("2026-12-01T15:00:00Z");

describe("web console filters in the URL and as the API's q (SPEC §18)", () => {
  test("an empty URL is the defaults: last 24 hours, page 1 of 25", () => {
    expect(parseFilters(new URLSearchParams())).toEqual(DEFAULT_FILTERS);
    expect(filtersToParams(DEFAULT_FILTERS).toString()).toBe("");
  });

  test("filters survive a round trip through the URL", () => {
    const filters = {
      user: "me",
      provider: "openai",
      client: "Claude Code",
      model: "gpt 4",
      range: "7d" as const,
      page: 3,
      size: 50 as const,
    };
    const params = filtersToParams(filters);
    expect(params.toString()).toBe(
      "user=me&provider=openai&client=Claude+Code&model=gpt+4&range=7d&page=3&size=50",
    );
    expect(parseFilters(params)).toEqual(filters);
  });

  test("malformed values fall back to the defaults instead of breaking the page", () => {
    const parsed = parseFilters(new URLSearchParams("range=1y&page=-2&size=30&provider=%20x%20"));
    expect(parsed).toEqual({ ...DEFAULT_FILTERS, provider: "x" });
    expect(parseFilters(new URLSearchParams("page=0")).page).toBe(1);
    expect(parseFilters(new URLSearchParams("page=1e3")).page).toBe(1);
  });

  test("a page's own defaults are left out of its URL", () => {
    const spend = { ...DEFAULT_FILTERS, range: "month" as const };
    expect(parseFilters(new URLSearchParams(), spend).range).toBe("month");
    expect(filtersToParams(spend, spend).toString()).toBe("");
    expect(filtersToParams(DEFAULT_FILTERS, spend).toString()).toBe("range=24h");
  });

  test("q quotes every value and is accepted by the server's own parser", () => {
    const q = searchQuery(
      { ...DEFAULT_FILTERS, user: "me", provider: "anthropic", model: "claude 3:opus", client: 'Roo "Code"' },
      NOW,
    );
    expect(q).toBe(
      'initiator:"me" provider:"anthropic" model:"claude 3:opus" client:"Roo Code" started_after:2026-11-30T15:00:00.000Z',
    );
    const parsed = parseInterceptionQuery(q);
    expect(parsed).toEqual({
      ok: true,
      filter: {
        initiator: { kind: "me" },
        provider: "anthropic",
        model: "claude 3:opus",
        client: "Roo Code",
        startedAfter: new Date("2026-11-30T15:00:00.000Z"),
      },
    });
    expect(searchQuery({ ...DEFAULT_FILTERS, range: "all" }, NOW)).toBe("");
  });

  test("time ranges count back from now; this month starts on the 1st, UTC", () => {
    expect(rangeStart("1h", NOW)?.toISOString()).toBe("2026-12-01T14:00:00.000Z");
    expect(rangeStart("30d", NOW)?.toISOString()).toBe("2026-11-01T15:00:00.000Z");
    expect(rangeStart("month", NOW)?.toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(rangeStart("all", NOW)).toBeNull();
  });

  test("pages map to limit and offset; the last page is never 0", () => {
    expect(pageWindow({ page: 1, size: 25 })).toEqual({ limit: 25, offset: 0 });
    expect(pageWindow({ page: 4, size: 100 })).toEqual({ limit: 100, offset: 300 });
    expect(lastPage(0, 25)).toBe(1);
    expect(lastPage(25, 25)).toBe(1);
    expect(lastPage(26, 25)).toBe(2);
  });
});
