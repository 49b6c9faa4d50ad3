import { eq } from "drizzle-orm";

import type { Db } from "../db/engine";
import { spendByUserMonthly, userBudgets } from "../db/schema";
import { monthStart, nextMonthStart } from "./month";
import type { SpendLedger } from "./spend-ledger";

export interface BudgetOptions {
  db: Db;
  ledger: SpendLedger;
  /** `--aibridge-default-monthly-budget` in micro-USD; 0 = unlimited. */
  defaultLimitMicros: number;
  now: () => number;
  onRefreshError?: (error: unknown) => void;
}

export interface BudgetStatus {
  /** The limit in force (the user's own, else the default); null = unlimited. */
  monthly_limit_micros: number | null;
  limit_source: "user" | "default" | "none";
  spent_micros: number;
  period_start: string;
  period_end: string;
}

export type BudgetVerdict =
  | { ok: true }
  | { ok: false; limitMicros: number; spentMicros: number; resetsAt: Date };

const REFRESH_EVERY_MS = 5_000;

/** "$12.34" for micro-USD. */
export function dollars(micros: number): string {
  return `$${(micros / 1_000_000).toFixed(2)}`;
}

/**
 * Monthly spend limits per user (SPEC §15). The check on the request path reads only memory: the
 * limits (reloaded every few seconds, at once after a change here) and the spend ledger.
 */
export class Budgets {
  private limits = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly options: BudgetOptions) {}

  /** Loads the limits and seeds the ledger with this month's recorded spend. */
  async start(): Promise<void> {
    const { ledger, now } = this.options;
    await this.reload();
    const month = monthStart(now());
    for (const [userId, micros] of await this.recordedSpend(month)) ledger.seed(userId, month, micros);
    this.timer = setInterval(
      () => this.refresh().catch((e) => this.options.onRefreshError?.(e)),
      REFRESH_EVERY_MS,
    );
    this.timer.unref();
  }

  /** The limits again, and the month's recorded spend: what other replicas recorded counts here too. */
  async refresh(): Promise<void> {
    await this.reload();
    const month = monthStart(this.options.now());
    for (const [userId, micros] of await this.recordedSpend(month)) {
      this.options.ledger.reconcile(userId, month, micros);
    }
  }

  /** Each user's cost recorded in the month so far (the per-user monthly rollup: a row per user). */
  private async recordedSpend(month: number): Promise<[string, number][]> {
    const rows = await this.options.db
      .select({ userId: spendByUserMonthly.initiatorId, micros: spendByUserMonthly.costMicros })
      .from(spendByUserMonthly)
      .where(eq(spendByUserMonthly.month, new Date(month)));
    return rows.map((row) => [row.userId, Number(row.micros)]);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async reload(): Promise<void> {
    const rows = await this.options.db.select().from(userBudgets);
    this.limits = new Map(rows.map((r) => [r.userId, r.monthlyLimitMicros]));
  }

  private limitFor(userId: string): { micros: number | null; source: BudgetStatus["limit_source"] } {
    const own = this.limits.get(userId);
    if (own !== undefined) return { micros: own, source: "user" };
    const fallback = this.options.defaultLimitMicros;
    return fallback > 0 ? { micros: fallback, source: "default" } : { micros: null, source: "none" };
  }

  check(userId: string): BudgetVerdict {
    const limit = this.limitFor(userId).micros;
    if (limit === null) return { ok: true };
    const now = this.options.now();
    const spent = this.options.ledger.spent(userId, monthStart(now));
    if (spent < limit) return { ok: true };
    return { ok: false, limitMicros: limit, spentMicros: spent, resetsAt: new Date(nextMonthStart(now)) };
  }

  status(userId: string): BudgetStatus {
    const now = this.options.now();
    const { micros, source } = this.limitFor(userId);
    return {
      monthly_limit_micros: micros,
      limit_source: source,
      spent_micros: this.options.ledger.spent(userId, monthStart(now)),
      period_start: new Date(monthStart(now)).toISOString(),
      period_end: new Date(nextMonthStart(now)).toISOString(),
    };
  }

  /** null removes the user's own limit (the default applies again). */
  async set(userId: string, monthlyLimitMicros: number | null): Promise<void> {
    const { db } = this.options;
    if (monthlyLimitMicros === null) {
      await db.delete(userBudgets).where(eq(userBudgets.userId, userId));
    } else {
      await db
        .insert(userBudgets)
        .values({ userId, monthlyLimitMicros })
        .onConflictDoUpdate({
          target: userBudgets.userId,
          set: { monthlyLimitMicros, updatedAt: new Date() },
        });
    }
    await this.reload();
  }
}

/** The refusal's message: names the limit, what was spent and when the budget resets. */
export function budgetMessage(verdict: Extract<BudgetVerdict, { ok: false }>): string {
  return `Monthly budget exhausted: ${dollars(verdict.spentMicros)} spent of the ${dollars(verdict.limitMicros)} monthly limit. It resets at ${verdict.resetsAt.toISOString()}.`;
}
