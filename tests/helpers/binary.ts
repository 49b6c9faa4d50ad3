import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { REPO } from "./process";

const built = new Map<string, Promise<string>>();

/**
 * Builds the executable once per test run (`bun run build`) and returns its path. Test files that run
 * in parallel workers pass names of their own, so that no two builds write the same file.
 */
export function buildExecutable(name = "aibridge"): Promise<string> {
  let build = built.get(name);
  if (!build) {
    build = (async () => {
      const outfile = join(REPO, "dist", name);
      const args = name === "aibridge" ? [] : ["--outfile", outfile];
      const proc = Bun.spawn([process.execPath, "run", "build", ...args], {
        cwd: REPO,
        stdout: "pipe",
        stderr: "pipe",
      });
      const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
      if (code !== 0) throw new Error(`bun run build failed: ${err}`);
      return outfile;
    })();
    built.set(name, build);
  }
  return build;
}

/** A copy of the executable alone in an empty temporary directory (no node_modules anywhere near). */
export async function isolatedExecutable(name?: string): Promise<{ dir: string; exe: string }> {
  const source = await buildExecutable(name);
  const dir = mkdtempSync(join(tmpdir(), "aibridge-bin-"));
  const exe = join(dir, "aibridge");
  copyFileSync(source, exe);
  Bun.spawnSync(["chmod", "+x", exe]);
  return { dir, exe };
}
