import { InMemorySpendLedger, type SpendLedger } from "../cost/spend-ledger";

/** The Redis commands the shared ledger uses: `SharedRedis` in production, a fake in unit tests. */
export interface CommandStore {
  readonly up: boolean;
  command(command: string, args: string[]): Promise<unknown>;
}

export interface SharedSpendLedgerOptions {
  store: CommandStore;
  prefix: string;
  /** How often the totals of the users checked lately are read again (SPEC §15: within 1 s). */
  refreshEveryMs?: number;
  /** Users not checked for this long are no longer refreshed. */
  forgetAfterMs?: number;
  now?: () => number;
}

// Two months and a bit: a month's key outlives every check of that month.
const KEY_TTL_SECONDS = String(62 * 24 * 3600);

const entry = (userId: string, monthStart: number) => `${monthStart}:${userId}`;

/**
 * Each user's spend per UTC month, shared by every replica on one Redis (SPEC §15, §16): one
 * integer key per (user, month), added to with INCRBY as usage is recorded. The budget check stays a
 * read of memory: the totals of the users checked lately are read again (MGET) every refresh period,
 * so another replica's spend reaches the check within that period.
 *
 * Redis unreachable: this replica's own ledger (the database's spend at start plus what it recorded
 * since) decides, additions are kept and sent when Redis is back; a Redis that lost the key (a
 * restart without persistence) is given this replica's own total first (SET NX), never less.
 */
export class SharedSpendLedger implements SpendLedger {
  private readonly local = new InMemorySpendLedger();
  /** Shared totals as last read or written, by `month:user`. */
  private readonly shared = new Map<string, number>();
  /** Entries checked lately, with when. */
  private readonly watched = new Map<string, { userId: string; monthStart: number; at: number }>();
  /** Additions not yet in Redis, by `month:user`. */
  private readonly pending = new Map<string, { userId: string; monthStart: number; micros: number }>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: SharedSpendLedgerOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.refresh(), this.opts.refreshEveryMs ?? 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * The database's total at start: Redis keeps what it has (it includes other replicas' spend since);
   * a Redis without the key starts from it.
   */
  seed(userId: string, monthStart: number, micros: number): void {
    this.local.add(userId, monthStart, micros);
    if (!this.opts.store.up || micros === 0) return;
    const key = this.opts.prefix + entry(userId, monthStart);
    this.opts.store.command("SET", [key, String(micros), "NX", "EX", KEY_TTL_SECONDS]).catch(() => {});
  }

  add(userId: string, monthStart: number, micros: number): void {
    if (micros === 0) return;
    this.local.add(userId, monthStart, micros);
    const key = entry(userId, monthStart);
    const waiting = this.pending.get(key);
    if (waiting) waiting.micros += micros;
    else this.pending.set(key, { userId, monthStart, micros });
    if (this.opts.store.up) void this.flush(key);
  }

  spent(userId: string, monthStart: number): number {
    const key = entry(userId, monthStart);
    this.watched.set(key, { userId, monthStart, at: this.now() });
    const own = this.local.spent(userId, monthStart);
    const shared = this.opts.store.up ? this.shared.get(key) : undefined;
    // The shared total includes this replica's own spend, unless Redis has not seen all of it yet.
    return shared === undefined ? own : Math.max(shared + (this.pending.get(key)?.micros ?? 0), own);
  }

  /** One refresh: pending additions first, then the totals of the users checked lately. */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    if (!this.opts.store.up) return;
    for (const key of [...this.pending.keys()]) await this.flush(key);
    const cutoff = this.now() - (this.opts.forgetAfterMs ?? 60_000);
    const entries = [...this.watched].filter(([key, w]) => {
      if (w.at >= cutoff) return true;
      this.watched.delete(key);
      this.shared.delete(key);
      return false;
    });
    if (entries.length === 0) return;
    let values: unknown;
    try {
      values = await this.opts.store.command(
        "MGET",
        entries.map(([key]) => this.opts.prefix + key),
      );
    } catch {
      return; // the store turned itself down: the local ledger decides meanwhile
    }
    if (!Array.isArray(values)) return;
    entries.forEach(([key], i) => {
      const value = values[i];
      if (value === null || value === undefined) this.shared.delete(key);
      else if (Number.isFinite(Number(value))) this.shared.set(key, Number(value));
    });
  }

  private async flush(key: string): Promise<void> {
    const waiting = this.pending.get(key);
    if (!waiting) return;
    this.pending.delete(key);
    const redisKey = this.opts.prefix + key;
    const { userId, monthStart, micros } = waiting;
    try {
      // A key Redis does not have (a first addition, or a Redis that lost it) starts from everything
      // this replica knows, not from zero; then the addition goes in once.
      const before = String(this.local.spent(userId, monthStart) - micros);
      await this.opts.store.command("SET", [redisKey, before, "NX", "EX", KEY_TTL_SECONDS]);
      const total = await this.opts.store.command("INCRBY", [redisKey, String(micros)]);
      if (Number.isFinite(Number(total))) this.shared.set(key, Number(total));
    } catch {
      // Not known to be in Redis: kept for the next attempt (at worst counted twice: stricter).
      const again = this.pending.get(key);
      if (again) again.micros += micros;
      else this.pending.set(key, waiting);
    }
  }
}
