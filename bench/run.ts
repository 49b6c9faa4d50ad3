/**
 * `bun run bench`: every scenario in one invocation, on this machine, with the same load clients —
 * direct to the mock, the bare Bun proxy, aibridge on PostgreSQL and on PGlite, and the Portkey
 * gateway. Prints the comparison and the issue's targets as met / not met, writes
 * bench/results/<time>.json (and latest.json), and with --update-readme the table in bench/README.md.
 *
 *   bun run bench [--only direct,bare,aibridge-plain,aibridge-postgres,aibridge-pglite,portkey] [--update-readme]
 *                 [--quick] [--latency-ms 0] [--rate 500] [--fixed-rate-s 10] [--saturation-s 10]
 *                 [--connections 64] [--threads 2] [--ttfb-count 200] [--streams 1000] [--no-anthropic]
 *                 [--rounds 1]   (each scenario that many times, interleaved; medians reported)
 *                 [--cpu-prof]   (profiles aibridge: .cpuprofile files next to the logs)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

import { machineInfo } from "./machine.ts";
import { type MeasureOptions, measure } from "./measure.ts";
import {
  freePort,
  runToCompletion,
  type Service,
  startService,
  stopAll,
  stopAllOnExit,
} from "./processes.ts";
import {
  anthropicTable,
  checkTargets,
  cpuTable,
  openaiTable,
  type ScenarioResult,
  targetsTable,
} from "./report.ts";
import { combineRounds } from "./rounds.ts";
import { aibridgeScenario } from "./scenarios/aibridge.ts";
import { bareProxyScenario } from "./scenarios/bare-proxy.ts";
import { directScenario } from "./scenarios/direct.ts";
import { ensurePeerInstalled, portkeyScenario } from "./scenarios/portkey.ts";
import type { RunningScenario, Scenario } from "./scenarios/types.ts";

const repoRoot = resolve(import.meta.dir, "..");
const benchDir = join(repoRoot, "bench");
const SCENARIO_IDS = ["direct", "bare", "aibridge-plain", "aibridge-postgres", "aibridge-pglite", "portkey"];
const README_START = "<!-- bench:results:start -->";
const README_END = "<!-- bench:results:end -->";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    "update-readme": { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    "latency-ms": { type: "string", default: "0" },
    rate: { type: "string", default: "500" },
    "fixed-rate-s": { type: "string" },
    "saturation-s": { type: "string" },
    connections: { type: "string", default: "64" },
    threads: { type: "string", default: "2" },
    "ttfb-count": { type: "string" },
    streams: { type: "string", default: "1000" },
    "no-anthropic": { type: "boolean", default: false },
    rounds: { type: "string", default: "1" },
    "cpu-prof": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  const usage = readFileSync(import.meta.path, "utf8").split("*/")[0] ?? "";
  process.stdout.write(`${usage.replace(/^\/\*\*\n|^ \* ?/gm, "")}\n`);
  process.exit(0);
}

function num(name: string, raw: string | undefined, fallback: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    process.stderr.write(`bench: --${name} must be a number ≥ 0\n`);
    process.exit(2);
  }
  return value;
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function ensureWrk(): Promise<void> {
  if (Bun.which("wrk")) return;
  log("wrk is missing: installing it with apt-get…");
  try {
    await runToCompletion(["apt-get", "install", "-y", "-qq", "wrk"]);
  } catch {
    await runToCompletion(["apt-get", "update", "-qq"]);
    await runToCompletion(["apt-get", "install", "-y", "-qq", "wrk"]);
  }
  if (!Bun.which("wrk")) throw new Error("could not install wrk");
}

function updateReadme(section: string): void {
  const path = join(benchDir, "README.md");
  const readme = readFileSync(path, "utf8");
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start)
    throw new Error(`bench/README.md lacks the ${README_START} … ${README_END} markers`);
  writeFileSync(path, `${readme.slice(0, start + README_START.length)}\n${section}\n${readme.slice(end)}`);
}

async function runScenario(
  scenario: Scenario,
  context: Parameters<Scenario["start"]>[0],
  options: MeasureOptions,
) {
  const result: ScenarioResult = {
    id: scenario.id,
    label: scenario.label,
    ...(scenario.targets ? { targets: scenario.targets } : {}),
  };
  let running: RunningScenario | undefined;
  const started = performance.now();
  log(`${scenario.label}:`);
  try {
    running = await scenario.start(context);
    result.measurements = await measure(running, options);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`  failed: ${result.error}`);
  } finally {
    await running?.stop();
  }
  if (running?.records) {
    try {
      result.records = await running.records();
    } catch (error) {
      log(`  could not read the records: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  log(`  done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return result;
}

async function main(): Promise<number> {
  stopAllOnExit();
  const only = values.only?.split(",").map((s) => s.trim());
  const unknown = only?.filter((id) => !SCENARIO_IDS.includes(id)) ?? [];
  if (unknown.length > 0)
    throw new Error(`unknown scenario ${unknown.join(", ")}; known: ${SCENARIO_IDS.join(", ")}`);
  const wanted = (id: string): boolean => !only || only.includes(id);
  const quick = values.quick;
  const options: Omit<MeasureOptions, "mockUrl" | "mockPid"> = {
    repoRoot,
    rate: num("rate", values.rate, 500),
    fixedRateS: num("fixed-rate-s", values["fixed-rate-s"], quick ? 3 : 10),
    saturationS: num("saturation-s", values["saturation-s"], quick ? 3 : 10),
    connections: num("connections", values.connections, 64),
    wrkThreads: num("threads", values.threads, 2),
    ttfbCount: num("ttfb-count", values["ttfb-count"], quick ? 50 : 200),
    streams: num("streams", values.streams, 1000),
    anthropic: !values["no-anthropic"],
    log,
  };
  const latencyMs = num("latency-ms", values["latency-ms"], 0);
  const runId = new Date().toISOString().replace(/[:.]/g, "-");
  const resultsDir = join(benchDir, "results");
  const logDir = join(resultsDir, `${runId}-logs`);
  mkdirSync(logDir, { recursive: true });

  await ensureWrk();
  if (wanted("portkey")) await ensurePeerInstalled(join(benchDir, "peer"));
  const machine = await machineInfo(repoRoot);
  if (machine.loadAverage > 0.5)
    log(`note: load average ${machine.loadAverage} before the run; other work skews the numbers`);

  const mockPort = freePort();
  const mockUrl = `http://127.0.0.1:${mockPort}`;
  const mock: Service = await startService({
    name: "mock-upstream",
    cmd: [
      process.execPath,
      join(benchDir, "mock-upstream.ts"),
      "--port",
      String(mockPort),
      "--latency-ms",
      String(latencyMs),
    ],
    logDir,
    readyUrl: `${mockUrl}/healthz`,
  });

  const scenarios: Scenario[] = [
    directScenario(mock.pid),
    bareProxyScenario(),
    aibridgeScenario("postgres", "plain"),
    aibridgeScenario("postgres"),
    aibridgeScenario("pglite"),
    portkeyScenario(),
  ].filter((s) => wanted(s.id));

  // Rounds run every scenario in turn, so that a drift of the machine touches them all alike.
  const rounds = Math.max(1, Math.round(num("rounds", values.rounds, 1)));
  const perScenario = scenarios.map(() => [] as ScenarioResult[]);
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) log(`round ${round} of ${rounds}`);
    for (const [i, scenario] of scenarios.entries()) {
      perScenario[i]!.push(
        await runScenario(
          scenario,
          { repoRoot, mockUrl, logDir, cpuProf: values["cpu-prof"] },
          { ...options, mockUrl, mockPid: mock.pid },
        ),
      );
    }
  }
  const results = perScenario.map(combineRounds);
  await mock.stop();

  const checks = checkTargets(results);
  const anthropic = anthropicTable(results);
  const cpu = cpuTable(results);
  const conditions = `Mock upstream latency ${latencyMs} ms; saturation: wrk, ${options.connections} connections, ${options.wrkThreads} threads, ${options.saturationS} s; latency: open-loop ${options.rate} req/s for ${options.fixedRateS} s; TTFB: median of ${options.ttfbCount} sequential streams; memory: ${options.streams} streams held open.${rounds > 1 ? ` Every figure is the median of ${rounds} rounds (scenarios interleaved); records and answers are summed over them.` : ""}`;
  const section = [
    `Measured ${machine.date.slice(0, 16).replace("T", " ")} UTC on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB (load average ${machine.loadAverage} at start, ${loadavg()[0]?.toFixed(2)} at the end).`,
    `Versions: ${Object.entries(machine.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(", ")}.`,
    conditions,
    "",
    "OpenAI chat completions (records = interceptions / usage rows / 200s answered to the counted key):",
    "",
    openaiTable(results),
    ...(anthropic ? ["", "Anthropic messages:", "", anthropic] : []),
    ...(cpu
      ? [
          "",
          "CPU per request at saturation, from the kernel's accounting (/proc/<pid>/stat utime + stime over the measured wrk run, divided by the requests answered; PostgreSQL = the bench database's backends; the server-wide WAL writer, background writer and checkpointer are not counted):",
          "",
          cpu,
        ]
      : []),
    "",
    "Targets:",
    "",
    targetsTable(checks),
  ].join("\n");

  process.stdout.write(`\n${section}\n`);
  const json = JSON.stringify(
    { machine, options: { ...options, log: undefined, latencyMs }, results, checks },
    null,
    2,
  );
  writeFileSync(join(resultsDir, `${runId}.json`), json);
  writeFileSync(join(resultsDir, "latest.json"), json);
  log(`\nresults: bench/results/${runId}.json, logs: bench/results/${runId}-logs/`);
  if (values["update-readme"]) {
    updateReadme(section);
    log("bench/README.md updated");
  }
  return results.some((r) => r.error) ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  log(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await stopAll();
}
process.exit(code);
