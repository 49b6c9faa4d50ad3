import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { MAIN, runCli, spawnServer } from "../helpers/process";

// Real processes on a possibly loaded machine; the embedded engine only (the lock is its).
setDefaultTimeout(240_000);

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "aibridge-lock-it-"));
  dirs.push(dir);
  return dir;
}

const envFor = (dir: string) => ({ CODER_AIBRIDGE_DATA_DIR: dir, CODER_PG_CONNECTION_URL: "" });

test("a server killed with SIGKILL leaves no lock behind: the next start serves", async () => {
  const dir = dataDir();
  const first = await spawnServer([], { env: envFor(dir) });
  expect(first.readyMs).toBeGreaterThanOrEqual(0);
  expect(await first.stop("SIGKILL")).not.toBe(0);
  const second = await spawnServer([], { env: envFor(dir) });
  expect(second.readyMs).toBeGreaterThanOrEqual(0);
  // While it lives, a second process is still refused.
  const refused = await runCli(["migrate"], { env: envFor(dir) });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("is in use");
  expect(await second.stop()).toBe(0);
});

// A container's gateway is PID 1, and so is the one started after a kill: a lock that asks "is
// that PID alive?" sees itself and refuses forever. `unshare --pid --fork` gives each run PID 1.
test.skipIf(process.platform !== "linux")(
  "restarted as PID 1 after a kill of PID 1 (container restart): starts; a second live PID 1 is refused",
  async () => {
    const check = Bun.spawnSync(["unshare", "--pid", "--fork", "true"]);
    if (check.exitCode !== 0) throw new Error("this test needs `unshare --pid` (root or user namespaces)");
    const dir = dataDir();
    const asPid1 = [
      "unshare",
      "--pid",
      "--fork",
      // Cleanup: the server (PID 1 inside) dies with the unshare process.
      "--kill-child=SIGKILL",
      process.execPath,
      MAIN,
    ];
    const first = await spawnServer([], { env: envFor(dir), exe: asPid1 });
    expect(first.readyMs).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(dir, "aibridge.lock"), "utf8")).toBe("1\n");
    // SIGKILL the server itself (PID 1 inside); unshare exits once it is dead.
    const server = Number(
      readFileSync(`/proc/${first.proc.pid}/task/${first.proc.pid}/children`, "utf8").trim(),
    );
    process.kill(server, "SIGKILL");
    await first.proc.exited;

    const second = await spawnServer([], { env: envFor(dir), exe: asPid1 });
    expect(second.readyMs).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(dir, "aibridge.lock"), "utf8")).toBe("1\n");
    const third = await runCli(["migrate"], { env: envFor(dir), exe: asPid1 });
    expect(third.code).toBe(1);
    expect(third.stderr).toContain("is in use by another aibridge process (pid 1)");
    await second.stop("SIGKILL");
  },
);
