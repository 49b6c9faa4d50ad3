import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { isolatedExecutable } from "../helpers/binary";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { runCli, spawnServer } from "../helpers/process";

// Real processes and builds on a possibly loaded machine.
setDefaultTimeout(240_000);

const cleanup: (() => unknown)[] = [];
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
        // The price catalog is inside the executable: prices are seeded offline, from any directory.
        const adminKey = /^\s+(\S{10}-\S{22})$/m.exec(server.stderr())?.[1];
        const prices = await fetch(`${server.url}/api/v2/aibridge/prices?q=claude-sonnet-4-5`, {
          headers: { "coder-session-token": adminKey ?? "" },
        });
        expect(prices.status).toBe(200);
        expect(await prices.json()).toContainEqual(
          expect.objectContaining({ model: "claude-sonnet-4-5", input: 3_000_000, source: "catalog" }),
        );
        if (engine === "pglite") {
          // The data-dir lock (a kernel file lock through libc) holds in the executable too.
          const second = await runCli(["migrate"], { exe: [exe], cwd: dir, env });
          expect(second.code).toBe(1);
          expect(second.stderr).toContain("is in use");
        }
        console.log(
          `executable on ${engine}: ${(statSync(exe).size / 1e6).toFixed(1)} MB, first /readyz after ${Math.round(server.readyMs)} ms, RSS ${rssMb(server.proc.pid).toFixed(0)} MB`,
        );
      } finally {
        expect(await server.stop()).toBe(0);
      }
    });
  }
});

// One file builds the executable once for both proofs (parallel test workers would race on dist/).
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));

function chromium(args: string[], profile: string) {
  return Bun.spawn(
    [
      CHROMIUM!,
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      "--virtual-time-budget=15000",
      ...args,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
}

// Debian's chromium is installed by .ci/run; a machine without it cannot run this proof.
test.skipIf(!CHROMIUM)(
  "Swagger UI renders every operation from the executable, with no network",
  async () => {
    const { dir, exe } = await isolatedExecutable();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = await createTestDatabase();
    cleanup.push(() => db.dispose());
    const server = await spawnServer([], {
      exe: [exe],
      cwd: dir,
      env: { CODER_PG_CONNECTION_URL: db.postgresUrl, CODER_AIBRIDGE_DATA_DIR: join(dir, "data") },
    });
    cleanup.push(() => server.stop());
    const profile = mkdtempSync(join(tmpdir(), "aibridge-chromium-"));
    cleanup.push(() => rmSync(profile, { recursive: true, force: true }));

    const dom = chromium(["--dump-dom", `${server.url}/swagger`], profile);
    const html = await new Response(dom.stdout).text();
    await dom.exited;
    // Swagger UI renders one `opblock` per operation, labelled with its path.
    const operations = [
      "/api/v2/users/me",
      "/api/v2/users",
      "/api/v2/users/{user}",
      "/api/v2/users/{user}/keys",
      "/api/v2/users/{user}/keys/{id}",
      "/api/v2/aibridge/interceptions",
      "/api/v2/aibridge/models",
    ];
    expect(operations.filter((path) => !html.includes(`data-path="${path}"`))).toEqual([]);
    expect(html.includes("opblock-summary-method")).toBe(true);
    expect(html.includes("authorize")).toBe(true);

    const screenshot = join(tmpdir(), "aibridge-swagger.png");
    rmSync(screenshot, { force: true });
    const shot = chromium(
      [`--screenshot=${screenshot}`, "--window-size=1280,1600", `${server.url}/swagger`],
      profile,
    );
    await shot.exited;
    expect(statSync(screenshot).size).toBeGreaterThan(20_000);
    console.log(`Swagger UI screenshot: ${screenshot}`);
  },
);
