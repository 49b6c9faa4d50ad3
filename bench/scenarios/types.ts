/** What every benchmark scenario provides to the runner. */
import type { CpuGroup } from "../cpu.ts";

export type Provider = "openai" | "anthropic";

/**
 * `load`: saturation traffic, not counted. `counted`: every other phase, whose 200s are compared
 * with the records the gateway wrote (aibridge gives each purpose its own API key).
 */
export type Purpose = "load" | "counted";

export interface Target {
  url: string;
  headers: Record<string, string>;
}

export interface BenchContext {
  repoRoot: string;
  /** Base URL of the mock upstream, no trailing slash. */
  mockUrl: string;
  /** Per-run folder for the processes' logs. */
  logDir: string;
  /** Profile the gateway under test (`bun --cpu-prof`), the profiles written to `logDir`. */
  cpuProf: boolean;
}

export interface RecordCounts {
  /** Interceptions of the counted key. */
  interceptions: number;
  /** Those with `ended_at` set. */
  ended: number;
  /** Token-usage rows of the counted key's interceptions. */
  tokenUsages: number;
}

export interface RunningScenario {
  /** The process whose memory is measured (the proxy; the mock itself for `direct`). */
  pid: number;
  /** null when the scenario does not serve that provider. */
  target(provider: Provider, purpose: Purpose): Target | null;
  /** The database processes serving this scenario, for its CPU per request (PostgreSQL only). */
  database?: CpuGroup;
  /** Stops the processes the scenario started (not the mock). */
  stop(): Promise<void>;
  /** After `stop`: what the gateway recorded; absent for scenarios that record nothing. */
  records?: () => Promise<RecordCounts>;
}

export interface Scenario {
  id: string;
  label: string;
  /** Compared with the targets of the issue (aibridge scenarios only). */
  targets?: ScenarioTargets;
  start(context: BenchContext): Promise<RunningScenario>;
}

export const UPSTREAM_OPENAI_KEY = "sk-bench-upstream-openai-0000";
export const UPSTREAM_ANTHROPIC_KEY = "sk-ant-bench-upstream-0000";
export const ANTHROPIC_VERSION = "2023-06-01";

/** The headers a client calling the providers directly would send. */
export function providerHeaders(provider: Provider): Record<string, string> {
  return provider === "openai"
    ? { "content-type": "application/json", authorization: `Bearer ${UPSTREAM_OPENAI_KEY}` }
    : {
        "content-type": "application/json",
        "x-api-key": UPSTREAM_ANTHROPIC_KEY,
        "anthropic-version": ANTHROPIC_VERSION,
      };
}

export const PROVIDER_PATHS: Record<Provider, string> = {
  openai: "/v1/chat/completions",
  anthropic: "/v1/messages",
};

export interface ScenarioTargets {
  minShareOfBareProxy: number;
  /** The gateway process's CPU per request at most this many times the bare proxy's. */
  maxCpuOfBareProxy?: number;
  /** PostgreSQL's CPU per request (all its processes), µs. */
  maxDatabaseCpuUs?: number;
  /** Compared with the scenario of this id: CPU per request of the gateway process at most ×(1 + share). */
  maxCpuOverScenario?: { id: string; share: number };
}
