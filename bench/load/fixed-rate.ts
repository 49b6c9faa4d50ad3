/**
 * Open-loop fixed-rate load generator: fires requests on a fixed schedule whatever the answers do,
 * so a slow server cannot slow the load down (no coordinated omission). A request's latency runs
 * from its dispatch to the last byte of its body. Run as its own process; prints one JSON object.
 *
 *   bun bench/load/fixed-rate.ts --spec '{"url","headers","body"}' [--rate 500] [--duration 10] [--warmup 2]
 */
import { Histogram } from "./histogram.ts";
import { drain, numberFlag, parseSpec, send } from "./request-spec.ts";

export interface FixedRateResult {
  rate: number;
  durationS: number;
  sent: number;
  /** Answered 200 with the body read to its end, warm-up included (for the records check). */
  ok: number;
  okMeasured: number;
  non200: number;
  errors: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
  /** The worst delay of a dispatch behind its schedule: the generator's own jitter. */
  maxLagUs: number;
}

const argv = process.argv.slice(2);
const spec = parseSpec(argv);
const rate = numberFlag(argv, "rate", 500);
const durationS = numberFlag(argv, "duration", 10);
const warmupS = numberFlag(argv, "warmup", 2);

const histogram = new Histogram();
const inFlight = new Set<Promise<void>>();
let sent = 0;
let ok = 0;
let non200 = 0;
let errors = 0;
let maxLagMs = 0;

async function fire(measured: boolean): Promise<void> {
  const start = performance.now();
  try {
    const response = await send(spec);
    await drain(response);
    if (response.status !== 200) {
      non200++;
      return;
    }
    ok++;
    if (measured) histogram.record((performance.now() - start) * 1000);
  } catch {
    errors++;
  }
}

const interval = 1000 / rate;
const begin = performance.now();
const measureFrom = begin + warmupS * 1000;
const end = measureFrom + durationS * 1000;
let next = begin;
while (next < end) {
  const now = performance.now();
  while (next <= now && next < end) {
    maxLagMs = Math.max(maxLagMs, now - next);
    const request = fire(next >= measureFrom);
    inFlight.add(request);
    request.finally(() => inFlight.delete(request));
    sent++;
    next += interval;
  }
  const wait = next - performance.now();
  if (wait > 0) await Bun.sleep(wait);
}
await Promise.race([Promise.all(inFlight), Bun.sleep(30_000)]);

const result: FixedRateResult = {
  rate,
  durationS,
  sent,
  ok,
  okMeasured: histogram.count,
  non200,
  errors: errors + inFlight.size,
  p50Us: histogram.percentile(50),
  p90Us: histogram.percentile(90),
  p99Us: histogram.percentile(99),
  p999Us: histogram.percentile(99.9),
  maxUs: histogram.maxRecorded,
  meanUs: Math.round(histogram.mean),
  maxLagUs: Math.round(maxLagMs * 1000),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
