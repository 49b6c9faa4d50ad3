/**
 * Many replicas (SPEC §16), on this machine, against its own private redis-server and a fresh
 * PostgreSQL database (both on 127.0.0.1, removed at the end):
 *  1. Rate-limit overhead at 500 checks/s: the time from asking the limiter to having its decision,
 *     in process vs shared through Redis (the script's round trip), p50/p99/max. Target: the
 *     shared limiter adds at most 0.5 ms at p99.
 *  2. Requests/s of 1, 2 and 3 replicas side by side: real server processes on one PostgreSQL and
 *     one Redis (rate limit on, shared), a mock upstream, a closed loop of clients round-robin.
 * Run: bun bench/replicas.bench.ts [--seconds 5] [--clients 32]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import postgres from "postgres";

import { bunRedisConnection, SharedRedis } from "../src/cluster/shared-redis.ts";
import { RateLimiter, type RequestRateLimit } from "../src/overload/rate-limiter.ts";
import { SharedRateLimiter } from "../src/overload/shared-rate-limiter.ts";
import { TestRedis } from "../tests/helpers/redis-server.ts";
import { Histogram } from "./load/histogram.ts";
import { freePort, spawnTracked, stopAll, stopAllOnExit } from "./processes.ts";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = arg("seconds", 5);
const CLIENTS = arg("clients", 32);
const ADMIN_URL = process.env.AIBRIDGE_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const MAIN = join(import.meta.dir, "..", "src", "main.ts");

stopAllOnExit();

function ms(us: number): string {
  return (us / 1000).toFixed(3);
}

/**
 * Part 1: paced checks, one every 2 ms over 1 000 keys, each timed from call to decision. The
 * limiters take turns, one check each per tick, so that both meet the same moments of a shared
 * machine (a stall of the process or of the machine lands in both histograms, not in one phase).
 */
async function limiterOverhead(limiters: [string, RequestRateLimit][]): Promise<Histogram[]> {
  const histograms = limiters.map(() => new Histogram());
  const headers = Array.from(
    { length: 1000 },
    (_, i) => new Headers({ "x-api-key": `${i.toString(36).padStart(10, "0")}-${"s".repeat(22)}` }),
  );
  const total = 500 * SECONDS;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let n = 0; n < total + 500; n++) {
    const due = start + n * 2;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const warm = n < 500; // the first second warms up
    const turn = limiters.map((_, i) => (n + i) % limiters.length); // who goes first alternates
    for (const i of turn) {
      const [, limiter] = limiters[i]!;
      const histogram = histograms[i]!;
      const t0 = performance.now();
      const decision = limiter.check(limiter.keyOf(headers[n % headers.length]!, () => null));
      if (decision instanceof Promise) {
        pending.push(
          decision.then(() => {
            if (!warm) histogram.record((performance.now() - t0) * 1000);
          }),
        );
        await decision;
      } else if (!warm) histogram.record((performance.now() - t0) * 1000);
    }
  }
  await Promise.all(pending);
  limiters.forEach(([name], i) => {
    const h = histograms[i]!;
    console.log(
      `  ${name.padEnd(22)} p50 ${ms(h.percentile(50))} ms   p99 ${ms(h.percentile(99))} ms   max ${ms(h.maxRecorded)} ms   (${h.count} checks)`,
    );
  });
  return histograms;
}

async function startReplica(env: Record<string, string>): Promise<{ url: string; stderr: () => string }> {
  const port = freePort();
  const proc = spawnTracked([process.execPath, MAIN, "server", `--http-address=127.0.0.1:${port}`], { env });
  const chunks: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) chunks.push(decoder.decode(chunk));
  })();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 1200 && proc.exitCode === null; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return { url, stderr: () => chunks.join("") };
    } catch {}
    await Bun.sleep(50);
  }
  throw new Error(`replica did not start:\n${chunks.join("").slice(-2000)}`);
}

/** Part 2: a closed loop of clients, round-robin over the replicas, for SECONDS after a 1 s warm-up. */
async function throughput(
  urls: string[],
  key: string,
): Promise<{ rps: number; p99: number; errors: number }> {
  const body = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
  const histogram = new Histogram();
  let next = 0;
  let done = 0;
  let errors = 0;
  const warmUntil = performance.now() + 1000;
  const until = warmUntil + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        const url = urls[next++ % urls.length]!;
        const t0 = performance.now();
        const res = await fetch(`${url}/api/v2/aibridge/openai/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body,
        }).catch(() => null);
        await res?.arrayBuffer();
        const t1 = performance.now();
        if (t0 < warmUntil || t1 > until) continue;
        if (res?.status !== 200) errors++;
        done++;
        histogram.record((t1 - t0) * 1000);
      }
    }),
  );
  return { rps: done / SECONDS, p99: histogram.percentile(99), errors };
}

const dataDirs: string[] = [];
let databaseName = "";
let privateRedis: TestRedis | null = null;
try {
  privateRedis = await TestRedis.start();
  const redisUrl = privateRedis.url;

  console.log(`Rate-limit decision at 500 checks/s for ${SECONDS} s (1 000 keys, limit far above the rate):`);
  const redis = new SharedRedis({ connection: bunRedisConnection(redisUrl), logger: console });
  await redis.start();
  const sharedLimiter = new SharedRateLimiter({
    limit: 1_000_000,
    store: redis,
    fallback: new RateLimiter({ limit: 1_000_000 }),
    prefix: `bench:${process.pid}:`,
  });
  const [inProcess, shared] = await limiterOverhead([
    ["in process", new RateLimiter({ limit: 1_000_000 })],
    ["shared through Redis", sharedLimiter],
  ]);
  const added = shared!.percentile(99) - inProcess!.percentile(99);
  console.log(`  added p99: ${ms(added)} ms (target ≤ 0.5 ms: ${added <= 500 ? "met" : "missed"})`);
  if (!redis.up) console.log("  (Redis turned down during the run: some checks were decided in process)");
  redis.close();

  // Part 2.
  databaseName = `aibridge_bench_replicas_${process.pid}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${databaseName}`);
  await admin.end();
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${databaseName}`;
  const upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      Response.json({
        id: "chatcmpl-bench",
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      }),
  });
  const replicaEnv = () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aibridge-bench-replica-"));
    dataDirs.push(dataDir);
    return {
      CODER_PG_CONNECTION_URL: dbUrl.toString(),
      CODER_AIBRIDGE_DATA_DIR: dataDir,
      CODER_AIBRIDGE_REDIS_URL: redisUrl,
      CODER_AIBRIDGE_RATE_LIMIT: "1000000",
      CODER_AIBRIDGE_OPENAI_BASE_URL: `http://127.0.0.1:${upstream.port}/v1/`,
      CODER_AIBRIDGE_OPENAI_KEY: "sk-bench-0123456789",
      CODER_PROMETHEUS_ADDRESS: "",
      CODER_LOG_FORMAT: "json",
    };
  };
  const first = await startReplica(replicaEnv());
  const key = /^\s+([A-Za-z0-9]{10}-[A-Za-z0-9]{22})$/m.exec(first.stderr())![1]!;
  const others = await Promise.all([startReplica(replicaEnv()), startReplica(replicaEnv())]);
  const replicas = [first, ...others];

  console.log(`\nRequests/s, ${CLIENTS} clients round-robin, ${SECONDS} s each (shared rate limit on):`);
  console.log("  replicas   req/s     p99 ms   errors");
  for (const n of [1, 2, 3]) {
    const { rps, p99, errors } = await throughput(
      replicas.slice(0, n).map((r) => r.url),
      key,
    );
    console.log(
      `  ${String(n).padEnd(9)}  ${rps.toFixed(0).padStart(6)}   ${ms(p99).padStart(8)}   ${errors}`,
    );
  }
  console.log(
    `  (machine: ${navigator.hardwareConcurrency} cores, shared by the load generator and every replica)`,
  );
  upstream.stop(true);
} finally {
  await privateRedis?.kill();
  await stopAll();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  if (databaseName) {
    const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    await cleanup.unsafe(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await cleanup.end();
  }
}
