/** A held place among the in-flight data-plane requests (SPEC §6). */
export interface Slot {
  /** Gives the place back. Idempotent: only the first call counts. */
  release(): void;
}

/**
 * One in-flight counter for every data-plane request. A request holds its slot until its response
 * body has been fully sent or the client went away.
 */
export class ConcurrencyLimiter {
  private count = 0;

  /** @param max the most requests in flight at once; 0 = unlimited (still counted, for metrics). */
  constructor(private readonly max: number) {}

  /** A slot, or null when `max` requests are already in flight. */
  tryAcquire(): Slot | null {
    if (this.max > 0 && this.count >= this.max) return null;
    this.count++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.count--;
      },
    };
  }

  get inFlight(): number {
    return this.count;
  }
}
