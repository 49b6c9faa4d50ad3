/** What the numbers were measured on: machine, load and versions, for the results and the README. */
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";

export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  /** 1-minute load average when the run started: other work on the machine skews every number. */
  loadAverage: number;
  versions: Record<string, string>;
}

async function commandVersion(cmd: string[]): Promise<string> {
  try {
    const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
    const [out, err] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    await proc.exited;
    return (out || err).trim().split("\n")[0] ?? "";
  } catch {
    return "missing";
  }
}

function packageVersion(path: string): string {
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { version?: string }).version ?? "?";
  } catch {
    return "not installed";
  }
}

export async function machineInfo(repoRoot: string): Promise<MachineInfo> {
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    loadAverage: Number(loadavg()[0]?.toFixed(2) ?? 0),
    versions: {
      aibridge: packageVersion(join(repoRoot, "package.json")),
      bun: Bun.version,
      node: await commandVersion(["node", "--version"]),
      wrk: (await commandVersion(["wrk", "--version"])).replace(/ Copyright.*/, ""),
      portkey: packageVersion(join(repoRoot, "bench/peer/node_modules/@portkey-ai/gateway/package.json")),
      "@hono/node-server": packageVersion(
        join(repoRoot, "bench/peer/node_modules/@hono/node-server/package.json"),
      ),
      postgres: await commandVersion(["psql", "--version"]),
    },
  };
}
