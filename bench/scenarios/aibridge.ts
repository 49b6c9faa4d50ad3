/**
 * aibridge from source with everything on: authentication, a (very high) rate limit, a (high)
 * concurrency cap, the circuit breaker and recording, on PostgreSQL or on PGlite. Two API keys of
 * one user: `load` for the saturation phase, `counted` for every phase whose 200s are compared
 * with the records.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { postgresProcesses } from "../cpu.ts";
import { freePort, runToCompletion, startService } from "../processes.ts";
import {
  adminUrl,
  BENCH_DATABASE,
  countPgliteRecords,
  countPostgresRecords,
  recreatePostgresDatabase,
} from "./aibridge-db.ts";
import {
  ANTHROPIC_VERSION,
  type BenchContext,
  type Provider,
  type Purpose,
  type RunningScenario,
  type Scenario,
  type ScenarioTargets,
  type Target,
  UPSTREAM_ANTHROPIC_KEY,
  UPSTREAM_OPENAI_KEY,
} from "./types.ts";

export type Engine = "postgres" | "pglite";

const RATE_LIMIT = 1_000_000;
const MAX_CONCURRENCY = 10_000;

/** The `{id}` part of a `{id}-{secret}` key, as stored in `api_key_id`. */
export function apiKeyId(key: string): string {
  return key.slice(0, key.indexOf("-"));
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}

/** The data plane as SPEC §17 builds it (Elysia's lifecycle), or the bench's plain-call reference. */
export type Chain = "lifecycle" | "plain";

const ENTRY: Record<Chain, string> = { lifecycle: "src/main.ts", plain: "bench/plain-chain/main.ts" };

export const PLAIN_SCENARIO_ID = "aibridge-plain";

const TARGETS: Record<Engine, ScenarioTargets> = {
  postgres: {
    minShareOfBareProxy: 0.45,
    maxCpuOfBareProxy: 2,
    maxDatabaseCpuUs: 40,
    maxCpuOverScenario: { id: PLAIN_SCENARIO_ID, share: 0.05 },
  },
  pglite: { minShareOfBareProxy: 0.25 },
};

export function aibridgeScenario(engine: Engine, chain: Chain = "lifecycle"): Scenario {
  const name = engine === "postgres" ? "PostgreSQL" : "PGlite";
  return {
    id: chain === "plain" ? PLAIN_SCENARIO_ID : `aibridge-${engine}`,
    label: chain === "plain" ? `aibridge, plain-call chain (${name})` : `aibridge (${name})`,
    // The plain-call chain is only the reference the lifecycle chain is compared with.
    ...(chain === "lifecycle" ? { targets: TARGETS[engine] } : {}),
    async start(context) {
      const dataDir = mkdtempSync(join(tmpdir(), `aibridge-bench-${engine}-`));
      try {
        return await launch(engine, chain, context, dataDir);
      } catch (error) {
        rmSync(dataDir, { recursive: true, force: true });
        throw error;
      }
    },
  };
}

async function launch(
  engine: Engine,
  chain: Chain,
  { repoRoot, mockUrl, logDir, cpuProf }: BenchContext,
  dataDir: string,
): Promise<RunningScenario> {
  const postgresUrl = engine === "postgres" ? await recreatePostgresDatabase() : "";
  const main = [process.execPath, join(repoRoot, "src/main.ts")];
  const server = [process.execPath, join(repoRoot, ENTRY[chain])];
  const database = [`--postgres-url=${postgresUrl}`, `--data-dir=${dataDir}`, "--log-format=json"];
  const cli = (args: string[]): Promise<string> =>
    runToCompletion([...main, ...args, ...database], { cwd: repoRoot });

  await cli(["users", "create", "--username", "bench", "--role", "owner"]);
  const keys: Record<Purpose, string> = {
    load: lastLine(await cli(["tokens", "create", "--username", "bench", "--name", "bench-load"])),
    counted: lastLine(await cli(["tokens", "create", "--username", "bench", "--name", "bench-counted"])),
  };

  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: `aibridge-${engine}`,
    // Profiling: bun's own flags would be lost when aibridge re-executes itself to lift the fetch
    // limit, so the limit is lifted here instead (the plain-call entry never lifts it itself).
    ...(cpuProf || chain === "plain" ? { env: { BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" } } : {}),
    cmd: [
      ...(cpuProf
        ? [process.execPath, "--cpu-prof", `--cpu-prof-dir=${logDir}`, join(repoRoot, ENTRY[chain])]
        : server),
      "server",
      "--http-address",
      `127.0.0.1:${port}`,
      ...database,
      "--aibridge-openai-key",
      UPSTREAM_OPENAI_KEY,
      "--aibridge-openai-base-url",
      `${mockUrl}/v1/`,
      "--aibridge-anthropic-key",
      UPSTREAM_ANTHROPIC_KEY,
      "--aibridge-anthropic-base-url",
      `${mockUrl}/`,
      "--aibridge-max-concurrency",
      String(MAX_CONCURRENCY),
      "--aibridge-rate-limit",
      String(RATE_LIMIT),
      "--aibridge-circuit-breaker-enabled",
      "--prometheus-address=",
    ],
    cwd: repoRoot,
    logDir,
    readyUrl: `${base}/readyz`,
  });

  const target = (provider: Provider, purpose: Purpose): Target =>
    provider === "openai"
      ? {
          url: `${base}/api/v2/aibridge/openai/v1/chat/completions`,
          headers: { "content-type": "application/json", authorization: `Bearer ${keys[purpose]}` },
        }
      : {
          url: `${base}/api/v2/aibridge/anthropic/v1/messages`,
          headers: {
            "content-type": "application/json",
            "x-api-key": keys[purpose],
            "anthropic-version": ANTHROPIC_VERSION,
          },
        };

  return {
    pid: service.pid,
    ...(engine === "postgres" ? { database: postgresProcesses(adminUrl(), BENCH_DATABASE) } : {}),
    target,
    stop: () => service.stop(30_000),
    records: async () => {
      try {
        return engine === "postgres"
          ? await countPostgresRecords(postgresUrl, apiKeyId(keys.counted))
          : await countPgliteRecords(dataDir, apiKeyId(keys.counted));
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
