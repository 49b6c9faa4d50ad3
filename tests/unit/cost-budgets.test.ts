import { describe, expect, test } from "bun:test";

import { spendCsv } from "../../src/api/spend";
import { Budgets, budgetMessage } from "../../src/cost/budgets";
import { CatalogFamilies } from "../../src/cost/catalog";
import { UsageCosting } from "../../src/cost/costing";
import { monthStart, nextMonthStart } from "../../src/cost/month";
import { PriceBook } from "../../src/cost/price-book";
import { InMemorySpendLedger } from "../../src/cost/spend-ledger";
import type { Db } from "../../src/db/engine";
import { createMetrics } from "../../src/observability/metrics";
import type { TokenUsageRecord } from "../../src/recorder/records";

const NOV_30_LATE = Date.UTC(2026, 10, 30, 23, 59, 59, 999);
const DEC_1 = Date.UTC(2026, 11, 1);

function budgets(defaultLimitMicros: number, clock: { now: number }) {
  const ledger = new InMemorySpendLedger();
  // check() and status() read memory only; the database is not touched by these tests.
  const b = new Budgets({ db: {} as Db, ledger, defaultLimitMicros, now: () => clock.now });
  return { b, ledger };
}

describe("monthly budget decisions (in memory, injected clock)", () => {
  test("UTC month boundaries", () => {
    expect(monthStart(NOV_30_LATE)).toBe(Date.UTC(2026, 10, 1));
    expect(nextMonthStart(NOV_30_LATE)).toBe(DEC_1);
    expect(monthStart(DEC_1)).toBe(DEC_1);
    expect(nextMonthStart(Date.UTC(2026, 11, 31, 12))).toBe(Date.UTC(2027, 0, 1));
  });

  test("no default and no own limit: unlimited", () => {
    const { b, ledger } = budgets(0, { now: NOV_30_LATE });
    ledger.add("u", monthStart(NOV_30_LATE), 10 ** 12);
    expect(b.check("u")).toEqual({ ok: true });
    expect(b.status("u")).toMatchObject({ monthly_limit_micros: null, limit_source: "none" });
  });

  test("the default applies; spent equal to the limit is refused; a new month resets", () => {
    const clock = { now: NOV_30_LATE };
    const { b, ledger } = budgets(5_000_000, clock);
    ledger.add("u", monthStart(clock.now), 4_999_999);
    expect(b.check("u")).toEqual({ ok: true });
    ledger.add("u", monthStart(clock.now), 1);
    const verdict = b.check("u");
    expect(verdict).toEqual({
      ok: false,
      limitMicros: 5_000_000,
      spentMicros: 5_000_000,
      resetsAt: new Date(DEC_1),
    });
    expect(budgetMessage(verdict as Extract<typeof verdict, { ok: false }>)).toBe(
      "Monthly budget exhausted: $5.00 spent of the $5.00 monthly limit. It resets at 2026-12-01T00:00:00.000Z.",
    );
    expect(b.check("someone-else")).toEqual({ ok: true });
    clock.now = DEC_1;
    expect(b.check("u")).toEqual({ ok: true });
    expect(b.status("u")).toEqual({
      monthly_limit_micros: 5_000_000,
      limit_source: "default",
      spent_micros: 0,
      period_start: "2026-12-01T00:00:00.000Z",
      period_end: "2027-01-01T00:00:00.000Z",
    });
  });

  test("the ledger keeps the two newest months", () => {
    const ledger = new InMemorySpendLedger();
    const months = [Date.UTC(2026, 9, 1), Date.UTC(2026, 10, 1), DEC_1];
    for (const m of months) ledger.add("u", m, 7);
    expect(months.map((m) => ledger.spent("u", m))).toEqual([0, 7, 7]);
  });

  test("reconciling with the database's total raises the ledger to it, never lowers it", () => {
    const ledger = new InMemorySpendLedger();
    ledger.seed("u", DEC_1, 100);
    ledger.add("u", DEC_1, 5);
    ledger.reconcile("u", DEC_1, 180); // other replicas recorded 75 meanwhile
    expect(ledger.spent("u", DEC_1)).toBe(180);
    ledger.add("u", DEC_1, 5); // this replica's own, not in the database yet
    ledger.reconcile("u", DEC_1, 180);
    expect(ledger.spent("u", DEC_1)).toBe(185);
    ledger.reconcile("v", DEC_1, 9);
    expect(ledger.spent("v", DEC_1)).toBe(9);
  });
});

describe("UsageCosting: the recorder's pricing step", () => {
  const at = new Date(NOV_30_LATE);
  const setup = () => {
    const book = new PriceBook(new CatalogFamilies());
    book.replace([
      {
        provider: "openai",
        model: "gpt-x",
        source: "custom",
        updatedAt: at,
        prices: {
          input: 2_000_000,
          output: 8_000_000,
          cacheRead: 500_000,
          cacheWrite5m: null,
          cacheWrite1h: null,
          longContext: null,
        },
      },
    ]);
    const ledger = new InMemorySpendLedger();
    const metrics = createMetrics();
    return { costing: new UsageCosting(book, ledger, metrics), ledger, metrics };
  };
  const row = (model: string): TokenUsageRecord => ({
    interceptionId: "i",
    inputTokens: 1000,
    outputTokens: 100,
    cacheReadInputTokens: 1000,
    cacheWriteInputTokens: null,
    createdAt: at,
    subject: { provider: "openai", model, initiatorId: "u", startedAt: at },
  });

  test("prices before the write, counts after the commit, and only then", () => {
    const { costing, ledger, metrics } = setup();
    const rows = [row("gpt-x-2026-01-02"), row("unknown")];
    costing.price(rows);
    expect(rows.map((r) => [r.costMicros, r.pricedModel])).toEqual([
      [2000 + 800 + 500, "gpt-x"],
      [null, null],
    ]);
    expect(ledger.spent("u", monthStart(NOV_30_LATE))).toBe(0);
    costing.recorded(rows);
    expect(ledger.spent("u", monthStart(NOV_30_LATE))).toBe(3300);
    expect(metrics.costMicrosTotal.get({ provider: "openai", model: "gpt-x" })).toBe(3300);
    expect(metrics.unpricedTokenUsagesTotal.get({ provider: "openai", model: "unknown" })).toBe(1);
  });

  test("a retried batch keeps the prices it was first given", () => {
    const { costing } = setup();
    const rows = [row("gpt-x")];
    costing.price(rows);
    rows[0]!.costMicros = 1;
    costing.price(rows);
    expect(rows[0]!.costMicros).toBe(1);
  });
});

test("spend CSV: quoting, spreadsheet formulas defused, dollars with six decimals", () => {
  const base = {
    interceptions: 2,
    input_tokens: 1,
    output_tokens: 2,
    cache_read_input_tokens: 3,
    cache_write_input_tokens: 4,
    unpriced_interceptions: 0,
  };
  expect(
    spendCsv([
      { ...base, key: 'a,"b"', cost_micros: 1_234_567 },
      { ...base, key: "=HYPERLINK(1)", cost_micros: 5 },
      { ...base, key: "plain", cost_micros: 0 },
    ]),
  ).toBe(
    "key,interceptions,input_tokens,output_tokens,cache_read_input_tokens,cache_write_input_tokens,cost_usd,unpriced_interceptions\r\n" +
      '"a,""b""",2,1,2,3,4,1.234567,0\r\n' +
      "'=HYPERLINK(1),2,1,2,3,4,0.000005,0\r\n" +
      "plain,2,1,2,3,4,0.000000,0\r\n",
  );
});
