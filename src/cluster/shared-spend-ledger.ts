import { InMemorySpendLedger, type SpendLedger } from "../cost/spend-ledger";

/** The Redis commands the shared ledger uses: `SharedRedis` in production, a fake in unit tests. */
export interface CommandStore {
  readonly up: boolean;
  command(command: string, args: string[]): Promise<unknown>;
  register(script: string): void;
  evalScript(script: string, keys: string[], args: string[]): Promise<unknown>;
}

/**
 * One addition, applied once whatever the number of attempts: KEYS[2] marks it done (an attempt
 * whose answer was lost, a timeout after Redis applied it, is sent again with the same marker). A
 * field Redis does not have (a first addition, or a Redis that lost it) starts from ARGV[2], all
 * this replica knew before the addition, never from zero. Answers the user's month total.
 */
export const SPEND_ADD_SCRIPT = `
local month, marker = KEYS[1], KEYS[2]
local user, before, micros, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('SET', marker, '1', 'NX', 'EX', 3600) then
  if redis.call('HSETNX', month, user, before) == 1 then redis.call('EXPIRE', month, ttl) end
  return redis.call('HINCRBY', month, user, micros)
end
return tonumber(redis.call('HGET', month, user) or '0')
`;

/** The database's totals (user, micros, …): a field below its user's is raised to it. */
export const SPEND_FLOOR_SCRIPT = `
local month, ttl = KEYS[1], ARGV[1]
for i = 2, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', month, ARGV[i]) or '0')
  if current < tonumber(ARGV[i + 1]) then redis.call('HSET', month, ARGV[i], ARGV[i + 1]) end
end
redis.call('EXPIRE', month, ttl)
return 1
`;

export interface SharedSpendLedgerOptions {
  store: CommandStore;
  prefix: string;
  /** How often the month's totals are read again (SPEC §15: within 1 s). */
  refreshEveryMs?: number;
}

// Two months and a bit: a month's hash outlives every check of that month.
const KEY_TTL_SECONDS = String(62 * 24 * 3600);

/**
 * Each user's spend per UTC month, shared by every replica on one Redis (SPEC §15, §16): one hash
 * per month, a field per user, added to with HINCRBY as usage is recorded. The budget check stays a
 * read of memory: every refresh period the whole month is read again (HGETALL: one field per user
 * with spend this month), so another replica's spend reaches every check within that period,
 * whether or not this replica has seen the user before.
 *
 * Redis unreachable: this replica's own ledger (the database's spend at start plus what it recorded
 * since) decides, additions are kept and sent when Redis is back; a Redis that lost the month (a
 * restart without persistence) is given this replica's own total first (HSETNX), never less.
 */
export class SharedSpendLedger implements SpendLedger {
  private readonly local = new InMemorySpendLedger();
  /** Shared totals by month, then user, as last read (a month is replaced whole at each read). */
  private readonly shared = new Map<number, Map<string, number>>();
  /** Months read at each refresh: the two newest checked (the current one, and the previous one around a month's turn). */
  private readonly months = new Set<number>();
  /** The database's totals not yet sent to Redis, by month (sent at the next refresh). */
  private readonly floors = new Map<number, Map<string, number>>();
  /** Additions not yet sent, by `month:user`. */
  private readonly pending = new Map<string, Addition>();
  /** Additions sent without an answer (they may be in Redis): sent again as they were, by marker. */
  private readonly inDoubt = new Map<string, Addition & { key: string; before: number }>();
  /** The in-doubt micros by `month:user`, for the check (which must not walk every addition). */
  private readonly inDoubtMicros = new Map<string, number>();
  /** Names this replica's additions (their markers). */
  private readonly id = crypto.getRandomValues(new Uint32Array(2)).join(".");
  private sequence = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(private readonly opts: SharedSpendLedgerOptions) {
    opts.store.register(SPEND_ADD_SCRIPT);
    opts.store.register(SPEND_FLOOR_SCRIPT);
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
   * a Redis without the user's field starts from it.
   */
  seed(userId: string, monthStart: number, micros: number): void {
    this.local.add(userId, monthStart, micros);
    this.watch(monthStart);
    if (!this.opts.store.up || micros === 0) return;
    const key = this.keyOf(monthStart);
    this.opts.store
      .command("HSETNX", [key, userId, String(micros)])
      .then(() => this.opts.store.command("EXPIRE", [key, KEY_TTL_SECONDS]))
      .catch(() => {});
  }

  add(userId: string, monthStart: number, micros: number): void {
    if (micros === 0) return;
    this.local.add(userId, monthStart, micros);
    const key = `${monthStart}:${userId}`;
    const waiting = this.pending.get(key);
    if (waiting) waiting.micros += micros;
    else this.pending.set(key, { userId, monthStart, micros });
    if (this.opts.store.up) void this.flush(key);
  }

  spent(userId: string, monthStart: number): number {
    this.watch(monthStart);
    const own = this.local.spent(userId, monthStart);
    const shared = this.opts.store.up ? this.shared.get(monthStart)?.get(userId) : undefined;
    // The shared total includes this replica's own spend, unless Redis has not seen all of it yet.
    if (shared === undefined) return own;
    return Math.max(shared + this.unconfirmed(`${monthStart}:${userId}`), own);
  }

  /** What this replica added that Redis has not confirmed yet (counted: the stricter side). */
  private unconfirmed(key: string): number {
    return (this.pending.get(key)?.micros ?? 0) + (this.inDoubtMicros.get(key) ?? 0);
  }

  /**
   * A Redis that lost the month (restarted without persistence, evicted it) would otherwise hold
   * only what the replicas add from then on: the database's totals are its floor.
   */
  reconcile(userId: string, monthStart: number, recordedMicros: number): void {
    this.local.reconcile(userId, monthStart, recordedMicros);
    if (recordedMicros <= 0) return;
    let month = this.floors.get(monthStart);
    if (!month) {
      month = new Map();
      this.floors.set(monthStart, month);
    }
    month.set(userId, recordedMicros);
  }

  /** One refresh: pending additions first, then the months checked lately, each read whole. */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private keyOf(monthStart: number): string {
    return `${this.opts.prefix}${monthStart}`;
  }

  private watch(monthStart: number): void {
    if (this.months.has(monthStart)) return;
    this.months.add(monthStart);
    // A month this replica has not read yet: read it now rather than at the next period.
    if (this.opts.store.up) void this.refresh();
    // Two months at most: older ones can no longer be checked.
    const keep = [...this.months].sort((a, b) => b - a).slice(0, 2);
    for (const month of this.months) {
      if (keep.includes(month)) continue;
      this.months.delete(month);
      this.shared.delete(month);
    }
  }

  private async refreshOnce(): Promise<void> {
    if (!this.opts.store.up) return;
    for (const marker of [...this.inDoubt.keys()]) await this.send(marker);
    await this.sendFloors();
    for (const key of [...this.pending.keys()]) await this.flush(key);
    for (const month of [...this.months]) {
      let reply: unknown;
      try {
        reply = await this.opts.store.command("HGETALL", [this.keyOf(month)]);
      } catch {
        return; // the store turned itself down: the local ledger decides meanwhile
      }
      const totals = fieldsOf(reply);
      if (totals) this.shared.set(month, totals);
    }
  }

  private async sendFloors(): Promise<void> {
    for (const [monthStart, users] of [...this.floors]) {
      this.floors.delete(monthStart);
      const args = [KEY_TTL_SECONDS];
      for (const [userId, micros] of users) args.push(userId, String(micros));
      try {
        await this.opts.store.evalScript(SPEND_FLOOR_SCRIPT, [this.keyOf(monthStart)], args);
      } catch {
        // The next reconciliation sends newer totals.
      }
    }
  }

  private async flush(key: string): Promise<void> {
    const waiting = this.pending.get(key);
    if (!waiting) return;
    this.pending.delete(key);
    const marker = `${this.opts.prefix}add:${this.id}:${(this.sequence++).toString(36)}`;
    const before = this.local.spent(waiting.userId, waiting.monthStart) - waiting.micros;
    this.inDoubt.set(marker, { ...waiting, key, before });
    this.inDoubtMicros.set(key, (this.inDoubtMicros.get(key) ?? 0) + waiting.micros);
    await this.send(marker);
  }

  /** Sends one addition; it stays in doubt (sent again later, same marker) until Redis answers. */
  private async send(marker: string): Promise<void> {
    const addition = this.inDoubt.get(marker);
    if (!addition) return;
    const { userId, monthStart, micros, before } = addition;
    let total: unknown;
    try {
      total = await this.opts.store.evalScript(
        SPEND_ADD_SCRIPT,
        [this.keyOf(monthStart), marker],
        [userId, String(before), String(micros), KEY_TTL_SECONDS],
      );
    } catch {
      return;
    }
    this.inDoubt.delete(marker);
    const left = (this.inDoubtMicros.get(addition.key) ?? 0) - micros;
    if (left > 0) this.inDoubtMicros.set(addition.key, left);
    else this.inDoubtMicros.delete(addition.key);
    if (!Number.isFinite(Number(total))) return;
    let month = this.shared.get(monthStart);
    if (!month) {
      month = new Map();
      this.shared.set(monthStart, month);
    }
    month.set(userId, Number(total));
  }
}

interface Addition {
  userId: string;
  monthStart: number;
  micros: number;
}

/** HGETALL's reply as a map: Bun's client answers with an object, RESP2 clients with a flat array. */
function fieldsOf(reply: unknown): Map<string, number> | null {
  const totals = new Map<string, number>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const value = Number(reply[i + 1]);
      if (Number.isFinite(value)) totals.set(String(reply[i]), value);
    }
    return totals;
  }
  if (reply && typeof reply === "object") {
    for (const [field, raw] of Object.entries(reply)) {
      const value = Number(raw);
      if (Number.isFinite(value)) totals.set(field, value);
    }
    return totals;
  }
  return reply === null || reply === undefined ? totals : null;
}
