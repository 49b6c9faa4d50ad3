import { LabelValueBounds, OVERFLOW_LABEL_VALUE } from "./label-bounds";

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  return `{${keys
    .sort()
    .map(
      (k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
    )
    .join(",")}}`;
}

interface Metric {
  render(): string;
}

/**
 * Series of one metric a label set can create, whatever the values; past it, new label sets are
 * counted in one series whose every label is `other`. A backstop: label values are bounded first.
 */
export const MAX_SERIES_PER_METRIC = 10_000;

class Series<T> {
  /** By rendered label set, for export. */
  readonly values = new Map<string, T>();
  /**
   * By labels as given (keys in call order, values length-prefixed so none can imitate another):
   * the hot path finds its series without sorting and escaping on every update. Only label sets
   * exported as given are kept here, so it is as bounded as the series are.
   */
  private readonly byCall = new Map<string, T>();
  private readonly bounds = new LabelValueBounds();
  constructor(private readonly init: () => T) {}
  at(labels: Labels): T {
    let call = "";
    for (const k in labels) {
      const v = String(labels[k]);
      call += `${k}=${v.length}:${v},`;
    }
    let value = this.byCall.get(call);
    if (value !== undefined) return value;
    const bounded: Labels = {};
    let exact = true;
    for (const k in labels) {
      const v = String(labels[k]);
      bounded[k] = this.bounds.admit(k, v);
      if (bounded[k] !== v) exact = false;
    }
    let key = labelKey(bounded);
    value = this.values.get(key);
    if (value === undefined && this.values.size >= MAX_SERIES_PER_METRIC) {
      key = labelKey(everyValueOther(bounded));
      value = this.values.get(key);
      exact = false;
    }
    if (value === undefined) {
      value = this.init();
      this.values.set(key, value);
    }
    if (exact) this.byCall.set(call, value);
    return value;
  }
  /** The series these labels are counted in, if it exists; creates nothing. */
  find(labels: Labels): T | undefined {
    const bounded: Labels = {};
    for (const k in labels) bounded[k] = this.bounds.peek(k, String(labels[k]));
    const own = this.values.get(labelKey(bounded));
    if (own !== undefined || this.values.size < MAX_SERIES_PER_METRIC) return own;
    return this.values.get(labelKey(everyValueOther(bounded)));
  }
}

function everyValueOther(labels: Labels): Labels {
  const out: Labels = {};
  for (const k in labels) out[k] = OVERFLOW_LABEL_VALUE;
  return out;
}

export class Counter implements Metric {
  private readonly series = new Series(() => ({ v: 0 }));
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    this.series.at(labels).v += by;
  }
  /** One series, looked up once: for callers that update it over and over. */
  child(labels: Labels): { inc(by?: number): void } {
    const series = this.series.at(labels);
    return {
      inc(by = 1) {
        series.v += by;
      },
    };
  }
  get(labels: Labels = {}): number {
    return this.series.find(labels)?.v ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, { v }] of this.series.values) lines.push(`${this.name}${k} ${v}`);
    return lines.join("\n");
  }
}

export class Gauge implements Metric {
  private readonly series = new Series(() => ({ v: 0 }));
  private readonly collectors: (() => void)[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  set(value: number, labels: Labels = {}): void {
    this.series.at(labels).v = value;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.series.at(labels).v += by;
  }
  dec(labels: Labels = {}, by = 1): void {
    this.series.at(labels).v -= by;
  }
  child(labels: Labels): { inc(): void; dec(): void } {
    const series = this.series.at(labels);
    return {
      inc() {
        series.v++;
      },
      dec() {
        series.v--;
      },
    };
  }
  get(labels: Labels = {}): number {
    return this.series.find(labels)?.v ?? 0;
  }
  /** Reads the value at scrape time (e.g. a queue length). */
  collect(fn: () => void): void {
    this.collectors.push(fn);
  }
  render(): string {
    for (const fn of this.collectors) fn();
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [k, { v }] of this.series.values) lines.push(`${this.name}${k} ${v}`);
    return lines.join("\n");
  }
}

export class Histogram implements Metric {
  private readonly series: Series<{ counts: number[]; sum: number; count: number }>;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {
    this.series = new Series(() => ({ counts: buckets.map(() => 0), sum: 0, count: 0 }));
  }
  observe(value: number, labels: Labels = {}): void {
    this.record(this.series.at(labels), value);
  }
  child(labels: Labels): { observe(value: number): void } {
    const series = this.series.at(labels);
    return { observe: (value) => this.record(series, value) };
  }
  private record(s: { counts: number[]; sum: number; count: number }, value: number): void {
    s.sum += value;
    s.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series.values) {
      const inner = key.slice(1, -1);
      const with_ = (le: string) => `{${inner ? `${inner},` : ""}le="${le}"}`;
      this.buckets.forEach((b, i) => {
        lines.push(`${this.name}_bucket${with_(String(b))} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${with_("+Inf")} ${s.count}`);
      lines.push(`${this.name}_sum${key} ${s.sum}`, `${this.name}_count${key} ${s.count}`);
    }
    return lines.join("\n");
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }
  histogram(name: string, help: string, buckets: number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }
  private add<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }
  render(): string {
    return `${this.metrics.map((m) => m.render()).join("\n")}\n`;
  }
}

/** Every metric the gateway exports (SPEC §11). */
export function createMetrics(registry = new Registry()) {
  const p = "aibridge_";
  return {
    registry,
    interceptionsTotal: registry.counter(`${p}interceptions_total`, "Intercepted requests by outcome."),
    interceptionsInFlight: registry.gauge(`${p}interceptions_in_flight`, "Intercepted requests in flight."),
    interceptionDuration: registry.histogram(
      `${p}interception_duration_seconds`,
      "Duration of intercepted requests.",
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    ),
    tokensTotal: registry.counter(`${p}tokens_total`, "Tokens used, by type."),
    promptsTotal: registry.counter(`${p}prompts_total`, "User prompts recorded."),
    toolSelectionsTotal: registry.counter(`${p}tool_selections_total`, "Tool calls selected by models."),
    passthroughTotal: registry.counter(`${p}passthrough_total`, "Passthrough requests."),
    rateLimitRejectsTotal: registry.counter(
      `${p}rate_limit_rejects_total`,
      "Requests refused by the rate limit.",
    ),
    concurrencyRejectsTotal: registry.counter(
      `${p}concurrency_rejects_total`,
      "Requests refused by the concurrency cap.",
    ),
    redisUp: registry.gauge(
      `${p}redis_up`,
      "1 while the shared Redis (--redis-url) answers, 0 while limits are per process.",
    ),
    dataPlaneInFlight: registry.gauge(`${p}data_plane_in_flight`, "Data-plane requests holding a slot."),
    circuitBreakerState: registry.gauge(
      `${p}circuit_breaker_state`,
      "Circuit breaker state: 0 closed, 0.5 half-open, 1 open.",
    ),
    circuitBreakerTripsTotal: registry.counter(`${p}circuit_breaker_trips_total`, "Circuit breaker trips."),
    circuitBreakerRejectsTotal: registry.counter(
      `${p}circuit_breaker_rejects_total`,
      "Requests rejected by an open circuit breaker.",
    ),
    recordingQueueDepth: registry.gauge(`${p}recording_queue_depth`, "Records waiting to be written."),
    recordingFailuresTotal: registry.counter(
      `${p}recording_failures_total`,
      "Record writes that failed (retried), by kind.",
    ),
    recordingDroppedTotal: registry.counter(
      `${p}recording_dropped_total`,
      "Records lost because the spill file could not be written either, by kind.",
    ),
    recordingRejectedTotal: registry.counter(
      `${p}recording_rejected_total`,
      "Records the database definitively rejected (kept in the spill file), by kind.",
    ),
    costMicrosTotal: registry.counter(
      `${p}cost_micros_total`,
      "Cost of recorded token usage in micro-USD, by provider and priced model.",
    ),
    unpricedTokenUsagesTotal: registry.counter(
      `${p}unpriced_token_usages_total`,
      "Recorded token usage rows with no known price, by provider and model.",
    ),
    budgetRejectionsTotal: registry.counter(
      `${p}budget_rejections_total`,
      "Requests refused because the user's monthly budget is spent.",
    ),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
