import type { Metrics } from "../observability/metrics";
import type { TokenUsageRecord } from "../recorder/records";
import { monthStart } from "./month";
import type { PriceBook } from "./price-book";
import { priceUsage } from "./price-usage";
import type { SpendLedger } from "./spend-ledger";

/** Whose usage a token-usage row is: enough to price it and to charge it to a budget. */
export interface UsageSubject {
  provider: string;
  model: string;
  initiatorId: string;
  /** The interception's start: its UTC month is the budget month the cost counts in. */
  startedAt: Date;
}

/** What the recorder does with cost (SPEC §15), off the request path. */
export interface BatchCosting {
  /** Fills each row's cost columns, just before its batch is written. */
  price(rows: TokenUsageRecord[]): void;
  /** The rows are committed: their cost now counts toward spend, metrics and budgets. */
  recorded(rows: TokenUsageRecord[]): void;
}

export class UsageCosting implements BatchCosting {
  constructor(
    private readonly book: PriceBook,
    private readonly ledger: SpendLedger,
    private readonly metrics: Pick<Metrics, "costMicrosTotal" | "unpricedTokenUsagesTotal">,
  ) {}

  price(rows: TokenUsageRecord[]): void {
    for (const row of rows) {
      // Priced once: a batch that is retried (or split) keeps the prices it was first given.
      if (!row.subject || row.pricedModel !== undefined) continue;
      const resolved = this.book.resolve(row.subject.provider, row.subject.model);
      if (!resolved) {
        row.pricedModel = null;
        row.costMicros = null;
        row.prices = null;
        continue;
      }
      const priced = priceUsage(row, resolved.entry.prices);
      row.pricedModel = resolved.pricedModel;
      row.costMicros = priced.costMicros;
      row.prices = priced.applied;
    }
  }

  recorded(rows: TokenUsageRecord[]): void {
    for (const row of rows) {
      const subject = row.subject;
      if (!subject) continue;
      if (row.costMicros === null || row.costMicros === undefined) {
        this.metrics.unpricedTokenUsagesTotal.inc({ provider: subject.provider, model: subject.model });
        continue;
      }
      this.metrics.costMicrosTotal.inc(
        { provider: subject.provider, model: row.pricedModel ?? "" },
        row.costMicros,
      );
      this.ledger.add(subject.initiatorId, monthStart(subject.startedAt.getTime()), row.costMicros);
    }
  }
}
