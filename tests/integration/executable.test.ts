import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

import { isolatedExecutable } from "../helpers/binary";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { runCli, spawnServer } from "../helpers/process";

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const fn of cleanup) await fn();
});

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

describe("the compiled executable, alone in an empty directory", () => {
  for (const engine of ["pglite", "postgres"] as const) {
    test(`serves /readyz and /swagger/json on ${engine}`, async () => {
      const { dir, exe } = await isolatedExecutable();
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      expect(existsSync(join(dir, "node_modules"))).toBe(false);
      const db: TestDatabase = await createTestDatabase(engine);
      cleanup.push(() => db.dispose());
      const env = { CODER_PG_CONNECTION_URL: db.postgresUrl, CODER_AIBRIDGE_DATA_DIR: join(dir, "data") };
      const version = await runCli(["--version"], { exe: [exe], cwd: dir, env });
      expect(version.code).toBe(0);
      const server = await spawnServer([], { exe: [exe], cwd: dir, env });
      try {
        expect(server.readyMs).toBeGreaterThan(0);
        const spec = await fetch(`${server.url}/swagger/json`);
        expect(spec.status).toBe(200);
        expect((await spec.json()).openapi).toMatch(/^3\./);
        const page = await fetch(`${server.url}/swagger`);
        expect(await page.text()).toContain("/swagger/assets/swagger-ui-bundle.js");
        const bundle = await fetch(`${server.url}/swagger/assets/swagger-ui-bundle.js`);
        expect(bundle.status).toBe(200);
        expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(500_000);
        console.log(
          `executable on ${engine}: ${(statSync(exe).size / 1e6).toFixed(1)} MB, first /readyz after ${Math.round(server.readyMs)} ms, RSS ${rssMb(server.proc.pid).toFixed(0)} MB`,
        );
      } finally {
        expect(await server.stop()).toBe(0);
      }
    });
  }
});
