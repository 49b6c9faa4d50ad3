/**
 * Requests/s at saturation with wrk (closed loop: `connections` clients, each sending its next
 * request as soon as the previous answer arrived). The POST body and headers come from a generated
 * Lua script whose `done` hook prints the summary as JSON.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { RequestSpec } from "./request-spec.ts";

export interface WrkResult {
  requests: number;
  durationS: number;
  rps: number;
  /** Answers outside 2xx/3xx. */
  non2xx: number;
  socketErrors: number;
  p50Us: number;
  p99Us: number;
}

export interface WrkOptions {
  connections: number;
  threads: number;
  durationS: number;
}

const MARK = "WRK_JSON ";

/** A Lua long string that cannot be closed by its content. */
function luaString(value: string): string {
  let level = "=";
  while (value.includes(`]${level}]`)) level += "=";
  return `[${level}[${value}]${level}]`;
}

export function wrkScript(spec: RequestSpec): string {
  const headers = Object.entries(spec.headers)
    .map(([name, value]) => `wrk.headers[ ${luaString(name)} ] = ${luaString(value)}`)
    .join("\n");
  return `wrk.method = "POST"
wrk.body = ${luaString(spec.body)}
${headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${MARK}{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;
}

export function parseWrkOutput(output: string): WrkResult {
  const line = output.split("\n").find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`wrk printed no summary:\n${output.slice(0, 2000)}`);
  const raw = JSON.parse(line.slice(MARK.length)) as Record<string, number>;
  const n = (key: string): number => raw[key] ?? 0;
  const durationS = n("duration_us") / 1e6;
  return {
    requests: n("requests"),
    durationS,
    rps: durationS > 0 ? n("requests") / durationS : 0,
    non2xx: n("status"),
    socketErrors: n("connect") + n("read") + n("write") + n("timeout"),
    p50Us: n("p50"),
    p99Us: n("p99"),
  };
}

export async function runWrk(spec: RequestSpec, options: WrkOptions): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), "aibridge-bench-wrk-"));
  try {
    const script = join(dir, "post.lua");
    writeFileSync(script, wrkScript(spec));
    const proc = Bun.spawn(
      [
        "wrk",
        `-t${options.threads}`,
        `-c${options.connections}`,
        `-d${options.durationS}s`,
        "--timeout",
        "10s",
        "-s",
        script,
        spec.url,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (code !== 0) throw new Error(`wrk exited ${code}: ${stderr || stdout}`);
    return parseWrkOutput(stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
