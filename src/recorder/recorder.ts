import { renameSync } from "node:fs";

import type { BatchCosting } from "../cost/costing";
import { isDatabaseUnavailable } from "../db/unavailable";
import { errorFields } from "../observability/error-fields";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import {
  appendBatch,
  batchSize,
  describeBatch,
  emptyBatch,
  type InterceptionEnd,
  type InterceptionRecord,
  type ModelThoughtRecord,
  mergeBatches,
  type PendingBatch,
  splitByInterception,
  splitByRecord,
  type TokenUsageRecord,
  type ToolUsageRecord,
  takeBatch,
  type UserPromptRecord,
} from "./records";
import { backoffMs, isTransientWriteFailure } from "./retry-policy";
import { SpillDirectory, type SpillReason } from "./spill";

export interface RecordWriter {
  insertInterceptions(rows: InterceptionRecord[]): Promise<void>;
  writeBatch(batch: PendingBatch): Promise<void>;
}

export interface RecorderOptions {
  writer: RecordWriter;
  logger: Logger;
  metrics: Pick<
    Metrics,
    "recordingQueueDepth" | "recordingFailuresTotal" | "recordingDroppedTotal" | "recordingRejectedTotal"
  >;
  /** This process's instance id, stored on every interception it starts (the crash sweep's key). */
  instanceId?: string;
  /** Where records the database did not take are kept (`<data dir>/spill`). */
  spillDir: string;
  /** Records pending before new interceptions are refused (SPEC §13; 0 = no bound). */
  queueLimit?: number;
  /** Background flush period for child rows and ends. */
  flushIntervalMs?: number;
  /** A queue this long is flushed at once, without waiting for the period. */
  maxBatch?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Prices token usage before it is written and counts its cost once committed (src/cost). */
  costing?: BatchCosting;
}

/** Thrown by `startInterception` while the queue is full: the request must be refused (503). */
export class RecordingQueueFullError extends Error {
  constructor() {
    super("the recording queue is full");
  }
}

const MAX_START_GROUP = 256;

interface PendingStart {
  row: InterceptionRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** What `isolate` could not write because the database was unavailable, with why. */
interface Unwritten<T> {
  items: T[];
  error: unknown;
}

/**
 * Writes `items` in one statement; when the database rejects it for what it holds, writes the two
 * halves apart, down to the single items at fault, which go to `rejected`: one bad row never
 * fails the rest of its group. Stops at the first sign that the database is unavailable and
 * returns what was not written.
 */
async function isolate<T>(
  items: T[],
  write: (items: T[]) => Promise<void>,
  rejected: (item: T, error: unknown) => Promise<Unwritten<T> | null>,
): Promise<Unwritten<T> | null> {
  if (items.length === 0) return null;
  try {
    await write(items);
    return null;
  } catch (error) {
    return isolateFailed(items, error, write, rejected);
  }
}

/** `isolate` for items whose write together just failed with `error` (not written again whole). */
async function isolateFailed<T>(
  items: T[],
  error: unknown,
  write: (items: T[]) => Promise<void>,
  rejected: (item: T, error: unknown) => Promise<Unwritten<T> | null>,
): Promise<Unwritten<T> | null> {
  if (isTransientWriteFailure(error)) return { items, error };
  if (items.length === 1) return rejected(items[0]!, error);
  const middle = Math.ceil(items.length / 2);
  const first = await isolate(items.slice(0, middle), write, rejected);
  if (first) return { items: [...first.items, ...items.slice(middle)], error: first.error };
  return isolate(items.slice(middle), write, rejected);
}

const errorLabel = (error: unknown) => {
  const { name, code, message } = errorFields(error);
  return `${name}${code ? ` ${code}` : ""}: ${message}`;
};

/**
 * Writes interception records (SPEC §8.1, §13): starts are group-committed and awaited by the
 * request; child rows and ends are queued and written in background batches. This is the one
 * place of the recording policy: a write that fails because the database is unavailable is
 * retried with backoff (at most 5 s apart) for as long as the process lives; a write the database
 * rejects is isolated down to the records at fault, which go to the spill file with an error line
 * and `recording_rejected_total`; the queue is bounded (`full` refuses new interceptions); what
 * is still pending when the process stops is spilled, and the next start replays it.
 */
export class Recorder {
  private starts: PendingStart[] = [];
  private startsInFlight = false;
  private startsScheduled = false;
  /** Queued, not yet taken by the writer. */
  private pending: PendingBatch = emptyBatch();
  /** Taken by the writer: counted as queued until written or spilled. */
  private writing: PendingBatch | null = null;
  private pumping: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Set once the records have been handed to the spill file for good (shutdown). */
  private closed = false;
  private spilledCount = 0;
  private readonly spill: SpillDirectory;
  private readonly queueLimit: number;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RecorderOptions) {
    this.spill = new SpillDirectory(options.spillDir);
    this.queueLimit = options.queueLimit ?? 100_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.maxBatch = options.maxBatch ?? 1000;
    this.sleep = options.sleep ?? ((ms) => Bun.sleep(ms));
    options.metrics.recordingQueueDepth.collect(() =>
      options.metrics.recordingQueueDepth.set(this.queueDepth),
    );
  }

  get queueDepth(): number {
    return this.starts.length + batchSize(this.pending) + (this.writing ? batchSize(this.writing) : 0);
  }

  /**
   * The admission check (SPEC §13): while the queue holds `queueLimit` records, new intercepted
   * requests are refused (503). Records of requests already admitted are always queued.
   */
  get full(): boolean {
    return this.queueLimit > 0 && this.queueDepth >= this.queueLimit;
  }

  /** Records spilled to disk by this process (still pending at shutdown, or rejected). */
  get spilled(): number {
    return this.spilledCount;
  }

  /**
   * Resolves once the row is committed; concurrent calls share one INSERT. Rejects when the row
   * cannot be recorded (the request must then not be forwarded): the queue is full, the database
   * is unavailable, or it rejects this row — and only this row, not its group-mates.
   */
  startInterception(row: InterceptionRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error("recording has stopped"));
    if (this.full) return Promise.reject(new RecordingQueueFullError());
    row.instanceId ??= this.options.instanceId;
    return new Promise((resolve, reject) => {
      this.starts.push({ row, resolve, reject });
      this.scheduleStarts();
    });
  }

  /**
   * The commit waits for the end of the current event-loop turn, so that every request that turn
   * delivered joins it. This matters most for the embedded engine, which runs on this thread: an
   * INSERT it starts at once would hold back the requests behind it and commit them one by one.
   */
  private scheduleStarts(): void {
    if (this.startsScheduled || this.startsInFlight) return;
    this.startsScheduled = true;
    setImmediate(() => {
      this.startsScheduled = false;
      void this.commitStarts();
    });
  }

  private async commitStarts(): Promise<void> {
    if (this.startsInFlight || this.starts.length === 0) return;
    this.startsInFlight = true;
    // A burst is committed in groups of bounded size: one huge statement costs the embedded
    // engine memory it keeps for good.
    const group = this.starts.splice(0, MAX_START_GROUP);
    try {
      const unwritten = await this.insertStarts(group);
      if (unwritten) {
        this.options.metrics.recordingFailuresTotal.inc({ kind: "interception" }, unwritten.items.length);
        for (const s of unwritten.items) s.reject(unwritten.error);
      }
      for (const s of group) s.resolve(); // no effect on those already rejected
    } catch (error) {
      for (const s of group) s.reject(error);
    } finally {
      this.startsInFlight = false;
      if (this.starts.length > 0) this.scheduleStarts();
    }
  }

  /**
   * A connection the database dropped while idle (a restart, a failover) fails the next statement
   * sent on it; the driver reconnects for the one after. One immediate retry spares those requests
   * a 503; the insert is idempotent, so it is safe even if the first attempt did commit.
   */
  private async insertStarts(group: PendingStart[]): Promise<Unwritten<PendingStart> | null> {
    const write = (starts: PendingStart[]) =>
      this.options.writer.insertInterceptions(starts.map((s) => s.row));
    const rejected = async (start: PendingStart, error: unknown) => {
      this.options.metrics.recordingRejectedTotal.inc({ kind: "interception" });
      this.options.logger.error("the database rejected an interception; its request is refused", {
        interception_id: start.row.id,
        error,
      });
      start.reject(error);
      return null;
    };
    const unwritten = await isolate(group, write, rejected);
    if (!unwritten || !isDatabaseUnavailable(unwritten.error)) return unwritten;
    return isolate(unwritten.items, write, rejected);
  }

  recordTokenUsage(row: TokenUsageRecord): void {
    this.queue("tokenUsages", row);
  }

  recordUserPrompt(row: UserPromptRecord): void {
    this.queue("userPrompts", row);
  }

  recordToolUsage(row: ToolUsageRecord): void {
    this.queue("toolUsages", row);
  }

  recordModelThought(row: ModelThoughtRecord): void {
    this.queue("modelThoughts", row);
  }

  endInterception(end: InterceptionEnd): void {
    this.queue("ends", end);
  }

  private queue<L extends keyof PendingBatch>(list: L, record: PendingBatch[L][number]): void {
    // Child ids are given here, once, so that writing a record again (a retry whose first outcome
    // is unknown, a replayed spill file) never duplicates it. UUIDv7: time-ordered keys append to
    // their indexes instead of landing anywhere.
    if (list !== "ends") (record as { id?: string }).id ??= Bun.randomUUIDv7();
    if (this.closed) {
      this.spillOrDrop({ ...emptyBatch(), [list]: [record] }, "shutdown");
      return;
    }
    (this.pending[list] as PendingBatch[L][number][]).push(record);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (batchSize(this.pending) >= this.maxBatch) {
      void this.pump();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.pump();
    }, this.flushIntervalMs);
  }

  /** Writes everything queued so far (waiting out an outage, however long). */
  async flush(): Promise<void> {
    while (!this.closed && (this.pumping || batchSize(this.pending) > 0)) await this.pump();
  }

  /** The single writer: takes the queue a batch at a time, retries until each is written or spilled. */
  private pump(): Promise<void> {
    this.pumping ??= this.writeQueued().finally(() => {
      this.pumping = null;
    });
    return this.pumping;
  }

  private async writeQueued(): Promise<void> {
    const { logger, metrics } = this.options;
    let attempt = 0;
    while (!this.closed) {
      this.topUpWriting();
      if (!this.writing) return;
      const unwritten = await this.writeIsolating(this.writing);
      if (this.closed) return; // shutdown spilled the batch meanwhile
      if (!unwritten) {
        this.writing = null;
        attempt = 0;
        // What came in meanwhile waits for the period unless it already fills a batch: each
        // statement has a fixed cost (planning it, its rollups, a commit), which batches written
        // back to back as soon as the last one ends (a few rows each) paid per request.
        if (batchSize(this.pending) >= this.maxBatch) continue;
        if (batchSize(this.pending) > 0) this.scheduleFlush();
        return;
      }
      this.writing = unwritten.batch;
      attempt++;
      metrics.recordingFailuresTotal.inc({ kind: "batch" });
      const waitMs = backoffMs(attempt);
      logger.warn("recording batch failed: the database is unavailable; retrying", {
        attempt,
        retry_in_ms: waitMs,
        error: unwritten.error,
        ...describeBatch(unwritten.batch),
      });
      await this.sleep(waitMs);
    }
  }

  /**
   * The next statement's records: what a failed attempt left, plus records queued meanwhile, up to
   * `maxBatch` (one statement for all of them, of bounded size).
   */
  private topUpWriting(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const size = this.writing ? batchSize(this.writing) : 0;
    if (size < this.maxBatch && batchSize(this.pending) > 0) {
      const taken = takeBatch(this.pending, this.maxBatch - size);
      this.options.costing?.price(taken.tokenUsages);
      this.writing = this.writing ? appendBatch(this.writing, taken) : taken;
    }
    if (this.writing && batchSize(this.writing) === 0) this.writing = null;
    // Whatever stays pending is picked up by this loop; a new record must not re-arm the timer.
  }

  /** Writes a batch, isolating rejected records: per interception first, then per record. */
  private async writeIsolating(batch: PendingBatch): Promise<{ batch: PendingBatch; error: unknown } | null> {
    const write = async (parts: PendingBatch[]) => {
      const merged = mergeBatches(parts);
      await this.options.writer.writeBatch(merged);
      this.options.costing?.recorded(merged.tokenUsages);
    };
    const rejectedRecord = async (single: PendingBatch, error: unknown) => {
      this.setAside(single, error);
      return null;
    };
    const rejectedInterception = (group: PendingBatch, error: unknown) =>
      batchSize(group) === 1
        ? rejectedRecord(group, error)
        : isolate(splitByRecord(group), write, rejectedRecord);
    // The usual case, one statement for the whole batch; split per interception only once it failed.
    let failure: unknown;
    try {
      await write([batch]);
      return null;
    } catch (error) {
      failure = error;
    }
    const unwritten = await isolateFailed(
      splitByInterception(batch),
      failure,
      write,
      async (group, error) => {
        const rest = await rejectedInterception(group, error);
        return rest && { items: [mergeBatches(rest.items)], error: rest.error };
      },
    );
    return unwritten && { batch: mergeBatches(unwritten.items), error: unwritten.error };
  }

  /** A record the database definitively rejected: spilled, logged and counted, never silently lost. */
  private setAside(single: PendingBatch, error: unknown): void {
    this.report("the database rejected a record; it is kept in the spill file", single, error, "rejected");
    this.spillOrDrop(single, "rejected", errorLabel(error));
  }

  /** An error line naming how many records of each kind, counted by kind in a metric. */
  private report(message: string, batch: PendingBatch, error: unknown, metric: "rejected" | "dropped"): void {
    const counts = describeBatch(batch);
    const counter =
      metric === "rejected"
        ? this.options.metrics.recordingRejectedTotal
        : this.options.metrics.recordingDroppedTotal;
    for (const [kind, n] of Object.entries(counts)) if (n) counter.inc({ kind }, n);
    this.options.logger.error(message, { ...counts, spill_dir: this.spill.dir, error });
  }

  private spillOrDrop(batch: PendingBatch, reason: SpillReason, error?: string): void {
    try {
      this.spilledCount += this.spill.append(batch, reason, error);
    } catch (writeError) {
      this.report("could not write the spill file: records lost", batch, writeError, "dropped");
    }
  }

  /**
   * Shutdown: writes every pending record (those queued while draining included) until `deadline`
   * (a `performance.now()` time); what is still pending then goes to the spill file. Returns how
   * many records this process spilled in all (0: nothing needs replaying).
   */
  async drain(deadline = Number.POSITIVE_INFINITY): Promise<number> {
    const remaining = () => deadline - performance.now();
    let timeout: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"expired">((resolve) => {
      if (Number.isFinite(deadline)) timeout = setTimeout(() => resolve("expired"), Math.max(0, remaining()));
    });
    try {
      while (this.starts.length > 0 || this.startsInFlight || this.pumping || batchSize(this.pending) > 0) {
        if (remaining() <= 0) break;
        const step = (async () => {
          if (this.starts.length > 0 && !this.startsInFlight) await this.commitStarts();
          await this.pump();
          if (this.startsInFlight) await Bun.sleep(1);
        })();
        if ((await Promise.race([step, expired])) === "expired") break;
      }
    } finally {
      clearTimeout(timeout);
    }
    this.close();
    return this.spilledCount;
  }

  /** Hands everything still pending to the spill file; records queued later go straight there. */
  private close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closed = true;
    const leftover = mergeBatches([this.writing ?? emptyBatch(), this.pending]);
    this.writing = null;
    this.pending = emptyBatch();
    const n = batchSize(leftover);
    if (n === 0) return;
    this.options.logger.error("shutdown: records not written within the grace period go to the spill file", {
      ...describeBatch(leftover),
      spill_dir: this.spill.dir,
    });
    this.spillOrDrop(leftover, "shutdown");
    for (const s of this.starts.splice(0)) s.reject(new Error("recording has stopped"));
  }

  /**
   * Startup, before serving: writes the records earlier processes spilled, then deletes their
   * files. Records the database rejects again are spilled anew (by this process), so a fixed
   * cause lets a later start store them. Waits out an outage like any other write.
   */
  async replaySpill(): Promise<{ files: number; records: number }> {
    const { logger } = this.options;
    let records = 0;
    const files = this.spill.leftovers();
    for (const path of files) {
      const { batch, unreadable } = SpillDirectory.read(path);
      records += batchSize(batch);
      appendBatch(this.pending, batch);
      await this.flush();
      if (unreadable > 0) {
        logger.error("spill file has unreadable lines; it is kept, renamed, for inspection", {
          file: `${path}.unreadable`,
          unreadable,
        });
        renameSync(path, `${path}.unreadable`);
      } else {
        SpillDirectory.remove(path);
      }
    }
    if (files.length > 0) logger.info("replayed spilled records", { files: files.length, records });
    return { files: files.length, records };
  }
}
