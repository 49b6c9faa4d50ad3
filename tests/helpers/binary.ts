import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { REPO } from "./process";

let built: Promise<string> | null = null;

/** Builds dist/aibridge once per test run (`bun run build`) and returns its path. */
export function buildExecutable(): Promise<string> {
  built ??= (async () => {
    const proc = Bun.spawn([process.execPath, "run", "build"], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`bun run build failed: ${err}`);
    return join(REPO, "dist", "aibridge");
  })();
  return built;
}

/** A copy of the executable alone in an empty temporary directory (no node_modules anywhere near). */
export async function isolatedExecutable(): Promise<{ dir: string; exe: string }> {
  const source = await buildExecutable();
  const dir = mkdtempSync(join(tmpdir(), "aibridge-bin-"));
  const exe = join(dir, "aibridge");
  copyFileSync(source, exe);
  Bun.spawnSync(["chmod", "+x", exe]);
  return { dir, exe };
}
