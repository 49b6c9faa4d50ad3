/**
 * The measurement phases run against one scenario, each by a load client in its own process (the
 * same clients for every scenario): streaming TTFB, latency at a fixed rate, 1 000 open streams
 * (memory), then saturation with wrk.
 */
import { join } from "node:path";

import { type CpuGroup, cpuSince, fixedPids, snapshot } from "./cpu.ts";
import type { FixedRateResult } from "./load/fixed-rate.ts";
import type { OpenStreamsDone, OpenStreamsOpened } from "./load/open-streams.ts";
import type { RequestSpec } from "./load/request-spec.ts";
import type { TtfbResult } from "./load/ttfb.ts";
import { runWrk, type WrkResult } from "./load/wrk.ts";
import { readMemory, runToCompletion, spawnTracked } from "./processes.ts";
import type { Provider, RunningScenario } from "./scenarios/types.ts";
import { requestBody, type Shape } from "./workloads.ts";

export interface MeasureOptions {
  repoRoot: string;
  mockUrl: string;
  mockPid: number;
  rate: number;
  fixedRateS: number;
  saturationS: number;
  connections: number;
  wrkThreads: number;
  ttfbCount: number;
  streams: number;
  anthropic: boolean;
  log: (line: string) => void;
}

export interface StreamsResult {
  count: number;
  /** Streams whose first event reached the client. */
  openAtClient: number;
  /** The most streams the mock held open at once. */
  openUpstreamPeak: number;
  openMs: number;
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  /** Highest VmRSS sampled while the streams were open. */
  peakRssKb: number;
  rssBeforeKb: number;
  hwmKb: number;
}

/** CPU microseconds per answered request during the measured saturation run, per process group. */
export interface CpuPerRequest {
  /** The process under test (the mock itself for `direct`). */
  targetUs: number;
  /** PostgreSQL's processes for this scenario's database; absent without PostgreSQL. */
  databaseUs?: number;
  mockUs: number;
}

export interface ProviderResult {
  ttfb: TtfbResult;
  saturation: WrkResult;
  cpu?: CpuPerRequest;
  fixedRate?: FixedRateResult;
  streams?: StreamsResult;
}

export interface Measurements {
  openai: ProviderResult;
  anthropic?: ProviderResult;
  /** 200s answered to the counted key, warm-ups included. */
  counted200: number;
  /** Non-200 answers and errors in the counted phases. */
  countedFailures: number;
}

function specFor(
  running: RunningScenario,
  provider: Provider,
  purpose: "load" | "counted",
  shape: Shape,
): RequestSpec {
  const target = running.target(provider, purpose);
  if (!target) throw new Error(`no ${provider} target`);
  return { url: target.url, headers: target.headers, body: requestBody(provider, shape) };
}

function clientEnv(): Record<string, string> {
  return { BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" };
}

async function runClient<T>(
  options: MeasureOptions,
  script: string,
  spec: RequestSpec,
  args: string[],
): Promise<T> {
  const stdout = await runToCompletion(
    [process.execPath, join(options.repoRoot, "bench/load", script), "--spec", JSON.stringify(spec), ...args],
    { env: clientEnv() },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as T;
}

// TTFB is the first phase against a fresh process: a long warm-up measures its steady state, not
// how fast its JIT compiles the request path.
const TTFB_WARMUP = 200;

function ttfb(options: MeasureOptions, spec: RequestSpec): Promise<TtfbResult> {
  return runClient<TtfbResult>(options, "ttfb.ts", spec, [
    "--count",
    String(options.ttfbCount),
    "--warmup",
    String(TTFB_WARMUP),
  ]);
}

function fixedRate(options: MeasureOptions, spec: RequestSpec): Promise<FixedRateResult> {
  return runClient<FixedRateResult>(options, "fixed-rate.ts", spec, [
    "--rate",
    String(options.rate),
    "--duration",
    String(options.fixedRateS),
    "--warmup",
    "2",
  ]);
}

async function saturation(
  options: MeasureOptions,
  spec: RequestSpec,
  seconds: number,
  running: RunningScenario,
): Promise<{ result: WrkResult; cpu: CpuPerRequest }> {
  const wrk = { connections: options.connections, threads: options.wrkThreads };
  await runWrk(spec, { ...wrk, durationS: 2 });
  const groups: Record<keyof CpuPerRequest, CpuGroup | undefined> = {
    targetUs: fixedPids(running.pid),
    databaseUs: running.database,
    mockUs: fixedPids(options.mockPid),
  };
  const before = new Map<string, Awaited<ReturnType<typeof snapshot>>>();
  for (const [name, group] of Object.entries(groups)) if (group) before.set(name, await snapshot(group));
  const result = await runWrk(spec, { ...wrk, durationS: seconds });
  const cpu: Partial<CpuPerRequest> = {};
  for (const [name, group] of Object.entries(groups)) {
    if (!group) continue;
    const used = await cpuSince(group, before.get(name)!);
    cpu[name as keyof CpuPerRequest] = result.requests > 0 ? used / result.requests : 0;
  }
  return { result, cpu: cpu as CpuPerRequest };
}

async function mockControl(mockUrl: string, path: string): Promise<Record<string, number>> {
  const response = await fetch(mockUrl + path, { method: path === "/__stats" ? "GET" : "POST" });
  return (await response.json()) as Record<string, number>;
}

/** Lines of a child's stdout, as they come. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      yield buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
    }
  }
  if (buffered) yield buffered;
}

async function openStreams(options: MeasureOptions, spec: RequestSpec, pid: number): Promise<StreamsResult> {
  await mockControl(options.mockUrl, "/__reset");
  const rssBeforeKb = readMemory(pid).rssKb;
  let peakRssKb = rssBeforeKb;
  const sampler = setInterval(() => {
    peakRssKb = Math.max(peakRssKb, readMemory(pid).rssKb);
  }, 50);
  try {
    const proc = spawnTracked(
      [
        process.execPath,
        join(options.repoRoot, "bench/load/open-streams.ts"),
        "--spec",
        JSON.stringify(spec),
        "--count",
        String(options.streams),
      ],
      { env: clientEnv() },
    );
    let opened: OpenStreamsOpened | undefined;
    let done: OpenStreamsDone | undefined;
    let openUpstreamPeak = 0;
    for await (const line of lines(proc.stdout)) {
      const event = JSON.parse(line) as OpenStreamsOpened | OpenStreamsDone;
      if (event.event === "open") {
        opened = event;
        peakRssKb = Math.max(peakRssKb, readMemory(pid).rssKb);
        openUpstreamPeak = (await mockControl(options.mockUrl, "/__stats")).peakHeld ?? 0;
        await mockControl(options.mockUrl, "/__release");
      } else {
        done = event;
      }
    }
    const code = await proc.exited;
    if (!opened || !done)
      throw new Error(`open-streams client exited ${code} early: ${await new Response(proc.stderr).text()}`);
    return {
      count: options.streams,
      openAtClient: opened.open,
      openUpstreamPeak,
      openMs: opened.ms,
      ok: done.ok,
      failed: done.failed,
      statuses: done.statuses,
      peakRssKb,
      rssBeforeKb,
      hwmKb: readMemory(pid).hwmKb,
    };
  } finally {
    clearInterval(sampler);
    await mockControl(options.mockUrl, "/__release").catch(() => {});
  }
}

export async function measure(running: RunningScenario, options: MeasureOptions): Promise<Measurements> {
  const { log } = options;
  log("  streaming TTFB (OpenAI)…");
  const openaiTtfb = await ttfb(options, specFor(running, "openai", "counted", "stream"));
  log(`  fixed rate ${options.rate} req/s for ${options.fixedRateS} s…`);
  const openaiFixed = await fixedRate(options, specFor(running, "openai", "counted", "json"));
  log(`  ${options.streams} open streams…`);
  const streams = await openStreams(options, specFor(running, "openai", "counted", "hold"), running.pid);

  let anthropicTtfb: TtfbResult | undefined;
  if (options.anthropic && running.target("anthropic", "counted")) {
    log("  streaming TTFB (Anthropic)…");
    anthropicTtfb = await ttfb(options, specFor(running, "anthropic", "counted", "stream"));
  }

  log(`  saturation, ${options.connections} connections, ${options.saturationS} s…`);
  const openaiSaturation = await saturation(
    options,
    specFor(running, "openai", "load", "json"),
    options.saturationS,
    running,
  );
  let anthropic: ProviderResult | undefined;
  if (anthropicTtfb) {
    log("  saturation (Anthropic)…");
    const seconds = Math.max(1, Math.round(options.saturationS / 2));
    const measured = await saturation(
      options,
      specFor(running, "anthropic", "load", "json"),
      seconds,
      running,
    );
    anthropic = { ttfb: anthropicTtfb, saturation: measured.result, cpu: measured.cpu };
  }

  const countedPhases = [openaiTtfb.ok, openaiFixed.ok, streams.ok, anthropicTtfb?.ok ?? 0];
  const countedFailures =
    openaiTtfb.failed +
    openaiFixed.non200 +
    openaiFixed.errors +
    streams.failed +
    (anthropicTtfb?.failed ?? 0);
  return {
    openai: {
      ttfb: openaiTtfb,
      saturation: openaiSaturation.result,
      cpu: openaiSaturation.cpu,
      fixedRate: openaiFixed,
      streams,
    },
    ...(anthropic ? { anthropic } : {}),
    counted200: countedPhases.reduce((a, b) => a + b, 0),
    countedFailures,
  };
}
