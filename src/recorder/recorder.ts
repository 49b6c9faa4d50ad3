import type { BatchCosting } from "../cost/costing";
import { isDatabaseUnavailable } from "../db/unavailable";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import {
  batchSize,
  describeBatch,
  emptyBatch,
  type InterceptionEnd,
  type InterceptionRecord,
  type ModelThoughtRecord,
  type PendingBatch,
  type TokenUsageRecord,
  type ToolUsageRecord,
  type UserPromptRecord,
} from "./records";

export interface RecordWriter {
  insertInterceptions(rows: InterceptionRecord[]): Promise<void>;
  writeBatch(batch: PendingBatch): Promise<void>;
}

export interface RecorderOptions {
  writer: RecordWriter;
  logger: Logger;
  metrics: Pick<Metrics, "recordingQueueDepth" | "recordingFailuresTotal" | "recordingDroppedTotal">;
  /** Background flush period for child rows and ends. */
  flushIntervalMs?: number;
  /** A queue this long is flushed at once, without waiting for the period. */
  maxBatch?: number;
  /** Attempts before a batch is split into single records and, failing still, given up. */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Prices token usage before it is written and counts its cost once committed (src/cost). */
  costing?: BatchCosting;
}

const MAX_START_GROUP = 256;

interface PendingStart {
  row: InterceptionRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Writes interception records (SPEC §8.1): starts are group-committed and awaited by the request;
 * child rows and ends are queued and written in background batches, drained at shutdown.
 */
export class Recorder {
  private starts: PendingStart[] = [];
  private startsInFlight = false;
  private startsScheduled = false;
  private pending: PendingBatch = emptyBatch();
  private flushing: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RecorderOptions) {
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.sleep = options.sleep ?? ((ms) => Bun.sleep(ms));
    options.metrics.recordingQueueDepth.collect(() =>
      options.metrics.recordingQueueDepth.set(this.queueDepth),
    );
  }

  get queueDepth(): number {
    return this.starts.length + batchSize(this.pending);
  }

  /** Resolves once the row is committed; concurrent calls share one INSERT. */
  startInterception(row: InterceptionRecord): Promise<void> {
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
      await this.insertStarts(group.map((s) => s.row));
      for (const s of group) s.resolve();
    } catch (error) {
      this.options.metrics.recordingFailuresTotal.inc({ kind: "interception" }, group.length);
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
  private async insertStarts(rows: InterceptionRecord[]): Promise<void> {
    try {
      await this.options.writer.insertInterceptions(rows);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      await this.options.writer.insertInterceptions(rows);
    }
  }

  recordTokenUsage(row: TokenUsageRecord): void {
    this.pending.tokenUsages.push(row);
    this.scheduleFlush();
  }

  recordUserPrompt(row: UserPromptRecord): void {
    this.pending.userPrompts.push(row);
    this.scheduleFlush();
  }

  recordToolUsage(row: ToolUsageRecord): void {
    this.pending.toolUsages.push(row);
    this.scheduleFlush();
  }

  recordModelThought(row: ModelThoughtRecord): void {
    this.pending.modelThoughts.push(row);
    this.scheduleFlush();
  }

  endInterception(end: InterceptionEnd): void {
    this.pending.ends.push(end);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (batchSize(this.pending) >= this.maxBatch) {
      void this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.flushIntervalMs);
  }

  /** Writes everything queued so far (waits for a flush already under way first). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (batchSize(this.pending) === 0) return;
    const batch = this.pending;
    this.pending = emptyBatch();
    this.options.costing?.price(batch.tokenUsages);
    this.flushing = this.writeWithRetry(batch).finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  /** Shutdown: writes every pending record, including those queued while draining. */
  async drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.starts.length > 0 || this.startsInFlight || batchSize(this.pending) > 0 || this.flushing) {
      if (this.starts.length > 0 && !this.startsInFlight) await this.commitStarts();
      await this.flush();
      if (this.startsInFlight) await Bun.sleep(1);
    }
  }

  private async writeWithRetry(batch: PendingBatch): Promise<void> {
    const { writer, logger, metrics } = this.options;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        await writer.writeBatch(batch);
        this.options.costing?.recorded(batch.tokenUsages);
        return;
      } catch (error) {
        metrics.recordingFailuresTotal.inc({ kind: "batch" });
        logger.warn("recording batch failed, retrying", { attempt, error, ...describeBatch(batch) });
        if (attempt < this.maxAttempts) await this.sleep(Math.min(2000, 50 * 2 ** attempt));
      }
    }
    // One bad record must not take the rest of its batch down with it.
    for (const single of splitBatch(batch)) {
      try {
        await writer.writeBatch(single);
        this.options.costing?.recorded(single.tokenUsages);
      } catch (error) {
        const counts = describeBatch(single);
        for (const [kind, n] of Object.entries(counts)) if (n) metrics.recordingDroppedTotal.inc({ kind }, n);
        logger.error("recording gave up on a record after every retry", { error, ...counts });
      }
    }
  }
}

function* splitBatch(batch: PendingBatch): Generator<PendingBatch> {
  for (const row of batch.tokenUsages) yield { ...emptyBatch(), tokenUsages: [row] };
  for (const row of batch.userPrompts) yield { ...emptyBatch(), userPrompts: [row] };
  for (const row of batch.toolUsages) yield { ...emptyBatch(), toolUsages: [row] };
  for (const row of batch.modelThoughts) yield { ...emptyBatch(), modelThoughts: [row] };
  for (const end of batch.ends) yield { ...emptyBatch(), ends: [end] };
}
