import { join } from "node:path";

export const REPO = join(import.meta.dir, "..", "..");
export const MAIN = join(REPO, "src", "main.ts");

/** Runs the CLI from source (or a given executable) to completion. */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; exe?: string[] } = {},
) {
  const proc = Bun.spawn([...(options.exe ?? [process.execPath, MAIN]), ...args], {
    cwd: options.cwd ?? REPO,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

/** A free TCP port on loopback (bound then released). */
export function freePort(): number {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

/** Starts the server as a child process and waits until /readyz answers 200 (120 s unless told). */
export async function spawnServer(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; exe?: string[]; readyTimeoutMs?: number } = {},
) {
  const port = freePort();
  const started = performance.now();
  const proc = Bun.spawn(
    [...(options.exe ?? [process.execPath, MAIN]), "server", `--http-address=127.0.0.1:${port}`, ...args],
    {
      cwd: options.cwd ?? REPO,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        CODER_PROMETHEUS_ADDRESS: "",
        ...options.env,
      },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const stderrChunks: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) stderrChunks.push(decoder.decode(chunk));
  })();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  let readyMs = -1;
  while (Date.now() < deadline && proc.exitCode === null) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) {
        readyMs = performance.now() - started;
        break;
      }
    } catch {}
    await Bun.sleep(20);
  }
  return {
    proc,
    url,
    port,
    readyMs,
    stderr: () => stderrChunks.join(""),
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      proc.kill(signal);
      return proc.exited;
    },
  };
}
