/**
 * An HDR-style latency histogram: log-linear buckets (each power of two split into `2^subBits`
 * linear sub-buckets), so any recorded value is reported within a relative error of
 * `2^-(subBits-1)` (0.05 % at the default 12 bits) in constant memory, whatever the run length.
 * Values are whole microseconds.
 */
export class Histogram {
  private readonly subBits: number;
  private readonly subCount: number;
  private readonly counts: Float64Array;
  private total = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = 0;
  private sum = 0;

  /** `maxValue`: the largest value kept exactly; larger values are clamped to it. */
  constructor(
    readonly maxValue = 60_000_000,
    subBits = 12,
  ) {
    this.subBits = subBits;
    this.subCount = 1 << subBits;
    if (maxValue >= 2 ** 31) throw new Error("maxValue must be below 2^31");
    this.counts = new Float64Array(this.indexOf(maxValue) + 1);
  }

  record(value: number): void {
    const v = Math.min(Math.max(0, Math.round(value)), this.maxValue);
    const index = this.indexOf(v);
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  get count(): number {
    return this.total;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  get minValue(): number {
    return this.total === 0 ? 0 : this.min;
  }

  get maxRecorded(): number {
    return this.max;
  }

  /**
   * The smallest recorded value v (within the bucket precision) such that at least `p` percent of
   * the values are ≤ v. 0 when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(Math.max(this.highestIn(i), this.min), this.max);
    }
    return this.max;
  }

  /** Adds every value of `other` (same layout) to this one. */
  merge(other: Histogram): void {
    if (other.counts.length !== this.counts.length || other.subBits !== this.subBits) {
      throw new Error("histograms of different layouts cannot be merged");
    }
    for (let i = 0; i < other.counts.length; i++)
      this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.total += other.total;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /** Values below `subCount` get one bucket each; above, bucket width doubles with each power of two. */
  private indexOf(value: number): number {
    if (value < this.subCount) return value;
    const magnitude = 31 - Math.clz32(value) - this.subBits + 1;
    const sub = Math.floor(value / 2 ** magnitude) - this.subCount / 2;
    return this.subCount + (magnitude - 1) * (this.subCount / 2) + sub;
  }

  /** The largest value that falls into bucket `index`. */
  private highestIn(index: number): number {
    if (index < this.subCount) return index;
    const half = this.subCount / 2;
    const magnitude = Math.floor((index - this.subCount) / half) + 1;
    const sub = ((index - this.subCount) % half) + half;
    return (sub + 1) * 2 ** magnitude - 1;
  }
}
