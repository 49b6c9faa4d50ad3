/**
 * Streams parked after their first event, for the open-streams memory test: each waits until
 * released (or its timeout), so the proxy under test holds every one of them open at once.
 */

/** A streaming request whose model name ends in this is held after its first event. */
export const HOLD_MODEL_SUFFIX = "-hold";

export class Holds {
  private readonly waiting = new Set<() => void>();
  private holding = true;
  private peak = 0;

  /** Resolves when released, at once if holding is off. */
  park(timeoutMs: number): Promise<void> {
    if (!this.holding) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiting.add(done);
      this.peak = Math.max(this.peak, this.waiting.size);
    });
  }

  /** Lets every parked stream finish and stops parking new ones until `reset`. */
  releaseAll(): number {
    this.holding = false;
    const released = [...this.waiting];
    for (const done of released) done();
    return released.length;
  }

  reset(): void {
    this.holding = true;
    this.peak = 0;
  }

  get held(): number {
    return this.waiting.size;
  }

  get peakHeld(): number {
    return this.peak;
  }
}
