/**
 * Cardinality benchmark (SPEC §13, issue 11): many distinct model names through the gateway, each
 * its own circuit-breaker key and metric label value. Prints the gateway's RSS growth and the size
 * of /metrics against the limits (≤ 50 MB of RSS growth, /metrics under 1 MB).
 *
 *   bun bench/cardinality.bench.ts [--models 100000] [--name-length 24] [--warmup 5000]
 *                                  [--concurrency 32] [--engine postgres|pglite]
 *
 * aibridge runs from source with the circuit breaker on and recording on, against the bench mock
 * upstream; the database `aibridge_cardinality_bench` (PostgreSQL, BENCH_PG_ADMIN_URL overrides the
 * server) or a fresh PGlite data dir. The warm-up uses one model name; RSS is measured after it and
 * again once the distinct names have been sent and recorded. Exits 1 when a limit is missed.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

import { freePort, readMemory, runToCompletion, startService, stopAll, stopAllOnExit } from "./processes.ts";
import { recreatePostgresDatabase } from "./scenarios/aibridge-db.ts";
import { UPSTREAM_OPENAI_KEY } from "./scenarios/types.ts";

const RSS_GROWTH_LIMIT_MB = 50;
const METRICS_LIMIT_BYTES = 1024 * 1024;
const DATABASE = "aibridge_cardinality_bench";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "100000" },
    "name-length": { type: "string", default: "24" },
    warmup: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "32" },
    engine: { type: "string", default: "postgres" },
  },
});

function count(name: string, raw: string | undefined, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`cardinality: --${name} must be an integer ≥ ${min}\n`);
    process.exit(2);
  }
  return value;
}

const MODELS = count("models", values.models, 1);
const NAME_LENGTH = count("name-length", values["name-length"], 16);
const WARMUP = count("warmup", values.warmup, 0);
const CONCURRENCY = count("concurrency", values.concurrency, 1);
const ENGINE = values.engine;
if (ENGINE !== "postgres" && ENGINE !== "pglite") {
  process.stderr.write("cardinality: --engine is postgres or pglite\n");
  process.exit(2);
}

const repoRoot = resolve(import.meta.dir, "..");
const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;

/** A distinct model name of exactly NAME_LENGTH characters. */
function modelName(i: number): string {
  const head = `card-${i}-`;
  return head + "x".repeat(Math.max(0, NAME_LENGTH - head.length));
}

/** Sends `total` chat completions, `concurrency` at a time; the statuses seen, by count. */
async function send(url: string, key: string, total: number, model: (i: number) => string) {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < total; i = next++) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: model(i), messages: [{ role: "user", content: "hi" }] }),
      });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return statuses;
}

async function scrape(url: string): Promise<string> {
  return (await fetch(url)).text();
}

/** Waits until the recorder has nothing queued (its gauge reads 0), at most 60 s. */
async function recorded(metricsUrl: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const depth = /^aibridge_recording_queue_depth (\d+)/m.exec(await scrape(metricsUrl))?.[1];
    if (depth === "0") return;
    await Bun.sleep(100);
  }
}

function seriesOf(text: string) {
  const lines = text.split("\n").filter((line) => line && !line.startsWith("#"));
  const models = new Set(lines.map((line) => /model="([^"]*)"/.exec(line)?.[1]).filter(Boolean));
  return { series: lines.length, models: models.size };
}

async function main(): Promise<number> {
  stopAllOnExit();
  const logDir = join(
    repoRoot,
    "bench",
    "results",
    `${new Date().toISOString().replace(/[:.]/g, "-")}-cardinality`,
  );
  mkdirSync(logDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "aibridge-cardinality-"));
  try {
    const mockPort = freePort();
    const mockUrl = `http://127.0.0.1:${mockPort}`;
    await startService({
      name: "mock-upstream",
      cmd: [process.execPath, join(repoRoot, "bench/mock-upstream.ts"), "--port", String(mockPort)],
      logDir,
      readyUrl: `${mockUrl}/healthz`,
    });

    const postgresUrl = ENGINE === "postgres" ? await recreatePostgresDatabase(DATABASE) : "";
    const main = [process.execPath, join(repoRoot, "src/main.ts")];
    const database = [`--postgres-url=${postgresUrl}`, `--data-dir=${dataDir}`, "--log-format=json"];
    await runToCompletion([
      ...main,
      "users",
      "create",
      "--username",
      "bench",
      "--role",
      "owner",
      ...database,
    ]);
    const key = (await runToCompletion([...main, "tokens", "create", "--username", "bench", ...database]))
      .trim()
      .split("\n")
      .at(-1)!
      .trim();

    const port = freePort();
    const metricsPort = freePort();
    const base = `http://127.0.0.1:${port}`;
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const gateway = await startService({
      name: "aibridge",
      cmd: [
        ...main,
        "server",
        "--http-address",
        `127.0.0.1:${port}`,
        `--prometheus-address=127.0.0.1:${metricsPort}`,
        ...database,
        "--aibridge-openai-key",
        UPSTREAM_OPENAI_KEY,
        "--aibridge-openai-base-url",
        `${mockUrl}/v1/`,
        "--aibridge-circuit-breaker-enabled",
      ],
      cwd: repoRoot,
      logDir,
      readyUrl: `${base}/readyz`,
    });
    const url = `${base}/api/v2/aibridge/openai/v1/chat/completions`;

    log(`aibridge (${ENGINE}), load average ${loadavg()[0]!.toFixed(2)}`);
    log(`warm-up: ${WARMUP} requests with one model name…`);
    const warm = await send(url, key, WARMUP, () => "card-warmup");
    await recorded(metricsUrl);
    const baseline = readMemory(gateway.pid);
    const metricsBefore = await scrape(metricsUrl);

    log(`${MODELS} requests, each with its own model name of ${NAME_LENGTH} characters…`);
    let peakKb = baseline.rssKb;
    const sampler = setInterval(() => {
      peakKb = Math.max(peakKb, readMemory(gateway.pid).rssKb);
    }, 250);
    const started = performance.now();
    const statuses = await send(url, key, MODELS, modelName);
    const seconds = (performance.now() - started) / 1000;
    await recorded(metricsUrl);
    clearInterval(sampler);
    const after = readMemory(gateway.pid);
    peakKb = Math.max(peakKb, after.rssKb);
    const metricsAfter = await scrape(metricsUrl);
    await gateway.stop(30_000);

    const growthKb = after.rssKb - baseline.rssKb;
    const metricsBytes = Buffer.byteLength(metricsAfter);
    const before = seriesOf(metricsBefore);
    const now = seriesOf(metricsAfter);
    const rssMet = growthKb <= RSS_GROWTH_LIMIT_MB * 1024;
    const metricsMet = metricsBytes < METRICS_LIMIT_BYTES;
    const ok = [...statuses].every(([status]) => status === 200) && warm.get(200) === WARMUP;
    const rows = [
      [
        "requests",
        `${MODELS} distinct model names in ${seconds.toFixed(1)} s (${(MODELS / seconds).toFixed(0)}/s)`,
      ],
      ["statuses", [...statuses].map(([s, n]) => `${s}×${n}`).join(", ")],
      ["RSS after warm-up", mb(baseline.rssKb)],
      ["RSS after the run", `${mb(after.rssKb)} (peak ${mb(peakKb)})`],
      ["RSS growth", `${mb(growthKb)} — limit ${RSS_GROWTH_LIMIT_MB} MB: ${rssMet ? "met" : "NOT met"}`],
      [
        "/metrics",
        `${(metricsBytes / 1024).toFixed(0)} KB, ${now.series} series, ${now.models} model values (after warm-up: ${(Buffer.byteLength(metricsBefore) / 1024).toFixed(0)} KB, ${before.series} series) — limit 1 MB: ${metricsMet ? "met" : "NOT met"}`,
      ],
    ];
    process.stdout.write(`\n| cardinality (${ENGINE}) | |\n| --- | --- |\n`);
    for (const [name, value] of rows) process.stdout.write(`| ${name} | ${value} |\n`);
    if (!ok) log("some requests were not answered 200: see the statuses");
    return rssMet && metricsMet && ok ? 0 : 1;
  } finally {
    await stopAll();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

process.exit(await main());
