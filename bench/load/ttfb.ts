/**
 * Streaming time to first byte: sequential streaming requests on one kept-alive connection, each
 * timed from dispatch to the first chunk of its body (the first SSE event), then read to its end.
 * Prints one JSON object.
 *
 *   bun bench/load/ttfb.ts --spec '{"url","headers","body"}' [--count 200] [--warmup 20]
 */
import { Histogram } from "./histogram.ts";
import { drain, numberFlag, parseSpec, send } from "./request-spec.ts";

export interface TtfbResult {
  count: number;
  /** Answered 200 and read to the end, warm-up included (for the records check). */
  ok: number;
  failed: number;
  medianUs: number;
  p90Us: number;
  p99Us: number;
  /** Median time to the end of the stream. */
  totalMedianUs: number;
}

const argv = process.argv.slice(2);
const spec = parseSpec(argv);
const count = numberFlag(argv, "count", 200);
const warmup = numberFlag(argv, "warmup", 20);

const firstByte = new Histogram();
const total = new Histogram();
let ok = 0;
let failed = 0;

for (let i = 0; i < warmup + count; i++) {
  const start = performance.now();
  let firstAt = 0;
  try {
    const response = await send(spec);
    await drain(response, () => {
      firstAt = performance.now();
    });
    if (response.status !== 200 || firstAt === 0) {
      failed++;
      continue;
    }
    ok++;
    if (i >= warmup) {
      firstByte.record((firstAt - start) * 1000);
      total.record((performance.now() - start) * 1000);
    }
  } catch {
    failed++;
  }
}

const result: TtfbResult = {
  count: firstByte.count,
  ok,
  failed,
  medianUs: firstByte.percentile(50),
  p90Us: firstByte.percentile(90),
  p99Us: firstByte.percentile(99),
  totalMedianUs: total.percentile(50),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
