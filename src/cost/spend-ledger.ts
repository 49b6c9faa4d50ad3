/**
 * Each user's spend per UTC month, read by the budget check on every request (no database read).
 * The recorder adds each committed batch's cost; the Redis-backed implementation (§16) shares it.
 */
export interface SpendLedger {
  /** The spend already recorded in the database, loaded at start (a shared ledger may know more). */
  seed(userId: string, monthStart: number, micros: number): void;
  add(userId: string, monthStart: number, micros: number): void;
  spent(userId: string, monthStart: number): number;
  /**
   * The database's total now (every replica's recorded spend): the ledger never counts less. So a
   * replica without a shared ledger still sees the others' spend, a refresh period late.
   */
  reconcile(userId: string, monthStart: number, recordedMicros: number): void;
}

/** One process's ledger. Only the two newest months are kept: older ones can no longer be checked. */
export class InMemorySpendLedger implements SpendLedger {
  private readonly months = new Map<number, Map<string, number>>();

  seed(userId: string, monthStart: number, micros: number): void {
    this.add(userId, monthStart, micros);
  }

  add(userId: string, monthStart: number, micros: number): void {
    if (micros === 0) return;
    let month = this.months.get(monthStart);
    if (!month) {
      month = new Map();
      this.months.set(monthStart, month);
      this.prune();
    }
    month.set(userId, (month.get(userId) ?? 0) + micros);
  }

  spent(userId: string, monthStart: number): number {
    return this.months.get(monthStart)?.get(userId) ?? 0;
  }

  reconcile(userId: string, monthStart: number, recordedMicros: number): void {
    const behind = recordedMicros - this.spent(userId, monthStart);
    if (behind > 0) this.add(userId, monthStart, behind);
  }

  private prune(): void {
    const keep = [...this.months.keys()].sort((a, b) => b - a).slice(0, 2);
    for (const month of this.months.keys()) if (!keep.includes(month)) this.months.delete(month);
  }
}
