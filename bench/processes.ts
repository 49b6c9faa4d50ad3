/**
 * Child processes of the benchmark: every one is tracked from spawn to exit, so `stopAll` (called
 * in a `finally`, on SIGINT/SIGTERM, and as a last resort on exit) never leaves one behind.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

const live = new Set<Subprocess>();

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

function track<T extends Subprocess>(proc: T): T {
  live.add(proc);
  void proc.exited.finally(() => live.delete(proc));
  return proc;
}

/** Spawns a child that `stopAll` will end, its stdout and stderr piped. */
export function spawnTracked(
  cmd: string[],
  options: SpawnOptions = {},
): Subprocess<"ignore", "pipe", "pipe"> {
  return track(
    Bun.spawn(cmd, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    }),
  );
}

export interface Service {
  name: string;
  pid: number;
  exited: Promise<number>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface ServiceOptions extends SpawnOptions {
  name: string;
  cmd: string[];
  /** stdout and stderr go to `<name>.out.log` and `<name>.err.log` here. */
  logDir: string;
  /** Polled until it answers with a status below 500. */
  readyUrl: string;
  readyTimeoutMs?: number;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const outLog = join(options.logDir, `${options.name}.out.log`);
  const errLog = join(options.logDir, `${options.name}.err.log`);
  // Straight into files: a pipe read by this process could slow a service that logs every request.
  const proc = track(
    Bun.spawn(options.cmd, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdin: "ignore",
      stdout: Bun.file(outLog),
      stderr: Bun.file(errLog),
    }),
  );
  const service: Service = {
    name: options.name,
    pid: proc.pid,
    exited: proc.exited,
    stop: (graceMs = 15_000) => stopProcess(proc, graceMs),
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let exitCode: number | null = null;
  void proc.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== null) {
      throw new Error(
        `${options.name} exited with ${exitCode} before it was ready; see ${errLog}\n${tail(errLog)}`,
      );
    }
    try {
      const response = await fetch(options.readyUrl, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status < 500) return service;
    } catch {
      // Not listening yet.
    }
    await Bun.sleep(100);
  }
  await service.stop(1000);
  throw new Error(`${options.name} was not ready at ${options.readyUrl} within the timeout; see ${errLog}`);
}

function tail(path: string): string {
  try {
    return readFileSync(path, "utf8").slice(-2000);
  } catch {
    return "";
  }
}

async function stopProcess(proc: Subprocess, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const ended = await Promise.race([proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
  if (!ended) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

/** Ends every child still running. */
export async function stopAll(graceMs = 5_000): Promise<void> {
  await Promise.all([...live].map((proc) => stopProcess(proc, graceMs)));
}

let hooked = false;
/** Kills the children on Ctrl-C, SIGTERM and, synchronously, on any exit. */
export function stopAllOnExit(): void {
  if (hooked) return;
  hooked = true;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      void stopAll(2_000).finally(() => process.exit(130));
    });
  }
  process.on("exit", () => {
    for (const proc of live) proc.kill("SIGKILL");
  });
}

/** Runs a command to completion; its stdout, or an error with its stderr. */
export async function runToCompletion(cmd: string[], options: SpawnOptions = {}): Promise<string> {
  const proc = spawnTracked(cmd, options);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}:\n${stderr.slice(-2000)}`);
  return stdout;
}

export interface Memory {
  rssKb: number;
  hwmKb: number;
}

/** VmRSS and VmHWM (peak) of a live process, from /proc. */
export function readMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return { rssKb: field("VmRSS"), hwmKb: field("VmHWM") };
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}
