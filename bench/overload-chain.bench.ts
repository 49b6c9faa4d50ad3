/**
 * Micro-benchmark of the overload hook chain's pure cores (SPEC §6, §7), per simulated request:
 * rate-limit key from the headers, concurrency slot, rate-limit check, breaker permit, then the
 * request ends (breaker success, slot released). Cycles over 100 000 distinct callers.
 * Run: bun bench/overload-chain.bench.ts — target: under 20 µs per request.
 */
import { CircuitBreakers } from "../src/bridge/circuit-breaker.ts";
import { ConcurrencyLimiter } from "../src/overload/concurrency.ts";
import { rateLimitKey } from "../src/overload/rate-limit-key.ts";
import { RateLimiter } from "../src/overload/rate-limiter.ts";

const CALLERS = 100_000;
const WARMUP_REQUESTS = 500_000;
const MEASURED_REQUESTS = 3_000_000;
const MODELS = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1", "gpt-5", "gpt-5-mini"];

function callerHeaders(i: number): Headers {
  const key = `${i.toString(36).padStart(10, "0")}-${"s".repeat(22)}`;
  const headers = new Headers({ "content-type": "application/json", "anthropic-version": "2023-06-01" });
  // Every source of §5.2 and the IP fallback, in turn.
  switch (i % 4) {
    case 0:
      headers.set("x-coder-token", key);
      break;
    case 1:
      headers.set("authorization", `Bearer ${key}`);
      break;
    case 2:
      headers.set("x-api-key", key);
      break;
  }
  return headers;
}

const headerSets = Array.from({ length: CALLERS }, (_, i) => callerHeaders(i));
const ips = Array.from({ length: CALLERS }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

const concurrency = new ConcurrencyLimiter(10_000);
const rateLimiter = new RateLimiter({ limit: 1_000_000 });
const breakers = new CircuitBreakers({
  failureThreshold: 5,
  intervalMs: 10_000,
  timeoutMs: 30_000,
  maxRequests: 3,
});

let refused = 0;

function simulateRequest(n: number): void {
  const caller = n % CALLERS;
  const slot = concurrency.tryAcquire();
  if (slot === null) {
    refused++;
    return;
  }
  const decision = rateLimiter.check(rateLimitKey(headerSets[caller]!, () => ips[caller]!));
  if (!decision.allowed) {
    refused++;
    slot.release();
    return;
  }
  const permit = breakers.get("anthropic", "/v1/messages", MODELS[n % MODELS.length]!).tryAcquire();
  if (permit.ok) permit.done(false);
  else refused++;
  slot.release();
}

function runRequests(from: number, count: number): number {
  const start = Bun.nanoseconds();
  for (let n = from; n < from + count; n++) simulateRequest(n);
  return Bun.nanoseconds() - start;
}

runRequests(0, WARMUP_REQUESTS);
const elapsedNs = runRequests(WARMUP_REQUESTS, MEASURED_REQUESTS);
const perRequestNs = elapsedNs / MEASURED_REQUESTS;

console.log(
  `overload chain: ${MEASURED_REQUESTS.toLocaleString("en")} requests over ${CALLERS.toLocaleString("en")} callers`,
);
console.log(
  `  ${perRequestNs.toFixed(0)} ns/request (${(perRequestNs / 1000).toFixed(3)} µs; target < 20 µs)`,
);
console.log(`  ${((MEASURED_REQUESTS / elapsedNs) * 1e9).toFixed(0)} requests/s on one core`);
console.log(
  `  rate-limited keys tracked: ${rateLimiter.trackedKeys.toLocaleString("en")}; refused: ${refused}`,
);
if (refused > 0) throw new Error("the benchmark's limits are meant to admit every request");
