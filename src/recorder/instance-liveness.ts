import type { Logger } from "../observability/logger";

export interface LivenessStore {
  /** Records that this instance is alive at `at`. */
  heartbeat(at: Date): Promise<void>;
  /** Ends the interceptions of other instances not seen since `cutoff`; returns how many. */
  sweep(cutoff: Date): Promise<number>;
}

export interface LivenessTimings {
  /** How often `last_seen_at` is refreshed (SPEC §13: 10 s). */
  heartbeatMs: number;
  /** An instance not seen for this long is dead (SPEC §13: 60 s). */
  staleAfterMs: number;
}

export const DEFAULT_LIVENESS: LivenessTimings = { heartbeatMs: 10_000, staleAfterMs: 60_000 };

/**
 * This process's heartbeat and the crash sweep it runs for every other process (SPEC §13), one tick
 * per heartbeat period. The sweep runs only after two heartbeats in a row succeeded: after an
 * outage every instance's `last_seen_at` is old, and the others must have had a period to
 * refresh theirs before anyone is judged dead.
 */
export class InstanceLiveness {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  private healthyBeats = 0;

  constructor(
    private readonly store: LivenessStore,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly timings: LivenessTimings = DEFAULT_LIVENESS,
  ) {}

  /** The first heartbeat (startup fails if the database cannot take it), then one tick per period. */
  async start(): Promise<void> {
    await this.store.heartbeat(new Date(this.now()));
    this.healthyBeats = 1;
    this.timer = setInterval(() => void this.tick(), this.timings.heartbeatMs);
    this.timer.unref();
  }

  /** One period: heartbeat, then (when the database has been reachable for a period) the sweep. */
  tick(): Promise<void> {
    this.running ??= this.beatAndSweep().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async beatAndSweep(): Promise<void> {
    const at = this.now();
    try {
      await this.store.heartbeat(new Date(at));
      this.healthyBeats++;
    } catch (error) {
      this.healthyBeats = 0;
      this.logger.warn("instance heartbeat failed", { error });
      return;
    }
    if (this.healthyBeats < 2) return;
    try {
      const swept = await this.store.sweep(new Date(at - this.timings.staleAfterMs));
      if (swept > 0)
        this.logger.warn("crash sweep: ended interceptions of a dead instance as interrupted", { swept });
    } catch (error) {
      this.logger.warn("crash sweep failed", { error });
    }
  }

  /** Stops ticking; waits for a tick under way (the database is closed next). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
