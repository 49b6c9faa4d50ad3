/**
 * aibridge from source with everything on: authentication, a (very high) rate limit, a (high)
 * concurrency cap, the circuit breaker and recording, on PostgreSQL or on PGlite. Two API keys of
 * one user: `load` for the saturation phase, `counted` for every phase whose 200s are compared
 * with the records.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { freePort, runToCompletion, startService } from "../processes.ts";
import { countPgliteRecords, countPostgresRecords, recreatePostgresDatabase } from "./aibridge-db.ts";
import {
  ANTHROPIC_VERSION,
  type BenchContext,
  type Provider,
  type Purpose,
  type RunningScenario,
  type Scenario,
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

export function aibridgeScenario(engine: Engine): Scenario {
  return {
    id: `aibridge-${engine}`,
    label: `aibridge (${engine === "postgres" ? "PostgreSQL" : "PGlite"})`,
    targets: { minShareOfBareProxy: engine === "postgres" ? 0.6 : 0.3 },
    async start(context) {
      const dataDir = mkdtempSync(join(tmpdir(), `aibridge-bench-${engine}-`));
      try {
        return await launch(engine, context, dataDir);
      } catch (error) {
        rmSync(dataDir, { recursive: true, force: true });
        throw error;
      }
    },
  };
}

async function launch(
  engine: Engine,
  { repoRoot, mockUrl, logDir, cpuProf }: BenchContext,
  dataDir: string,
): Promise<RunningScenario> {
  const postgresUrl = engine === "postgres" ? await recreatePostgresDatabase() : "";
  const main = [process.execPath, join(repoRoot, "src/main.ts")];
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
    // limit, so the limit is lifted here instead.
    ...(cpuProf ? { env: { BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" } } : {}),
    cmd: [
      ...(cpuProf
        ? [process.execPath, "--cpu-prof", `--cpu-prof-dir=${logDir}`, join(repoRoot, "src/main.ts")]
        : main),
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
