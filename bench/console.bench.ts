/**
 * Web console benchmark (issue 16): how long the first page of the session list (and of the requests
 * list) takes to appear in headless chromium, over 1 000 000 interceptions on PostgreSQL, served by
 * the compiled executable. Measured and logged, not asserted (target: under 1 s).
 *
 *   bun bench/console.bench.ts [--rows 1000000] [--runs 5]
 *
 * Fills (or reuses) the database `aibridge_console_bench` with bench/management.bench.ts's data set.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

import { CHROMIUM, launchBrowser } from "../tests/browser/browser.ts";
import { buildExecutable } from "../tests/helpers/binary.ts";
import { REPO, runCli, spawnServer } from "../tests/helpers/process.ts";

// Page-side code: the bench is type-checked without the DOM library.
declare const sessionStorage: { setItem(key: string, value: string): void };
interface PerformanceResourceTiming {
  name: string;
  startTime: number;
  responseEnd: number;
}

const DATABASE = "aibridge_console_bench";
const TARGET_MS = 1000;

const { values } = parseArgs({
  options: { rows: { type: "string", default: "1000000" }, runs: { type: "string", default: "5" } },
});
const RUNS = Number(values.runs);
const adminUrl = process.env.BENCH_PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const benchUrl = Object.assign(new URL(adminUrl), { pathname: `/${DATABASE}` }).toString();

async function fillDatabase(): Promise<void> {
  console.log(
    `filling (or reusing) ${DATABASE} with ${values.rows} interceptions via bench/management.bench.ts`,
  );
  const proc = Bun.spawn(
    [process.execPath, "bench/management.bench.ts", "--reuse", "--rows", values.rows!, "--runs", "1"],
    {
      cwd: REPO,
      env: { ...process.env, BENCH_MGMT_DATABASE: DATABASE },
      stdout: "inherit",
      stderr: "inherit",
    },
  );
  // It exits 1 when a listing misses its own 50 ms target; the data set is there either way.
  await proc.exited;
}

interface PageTiming {
  page: string;
  samples: number[];
  apiMs: number[];
  /** When the script had arrived and when the list's API call started, per run. */
  scriptMs: number[];
  apiStartMs: number[];
  total: string;
}

async function main(): Promise<void> {
  if (!CHROMIUM) throw new Error("needs Debian's chromium at /usr/bin/chromium");
  await fillDatabase();
  const exe = await buildExecutable("aibridge-console-bench");
  const dir = mkdtempSync(join(tmpdir(), "aibridge-console-bench-"));
  const env = {
    CODER_PG_CONNECTION_URL: benchUrl,
    CODER_AIBRIDGE_DATA_DIR: join(dir, "data"),
    CODER_AIBRIDGE_RETENTION: "0",
  };
  const token = await runCli(["tokens", "create", "--username", "admin", "--name", "console-bench"], {
    exe: [exe],
    cwd: dir,
    env,
  });
  if (token.code !== 0) throw new Error(`tokens create: ${token.stderr}`);
  const key = token.stdout.trim();
  const server = await spawnServer([], { exe: [exe], cwd: dir, env });
  if (server.readyMs < 0) throw new Error(`the executable did not start: ${server.stderr()}`);
  const browser = await launchBrowser();
  const timings: PageTiming[] = [];
  let baselineMs: number[] = [];
  try {
    for (const [name, path, api] of [
      ["Sessions (home)", "/console", "/api/v2/aibridge/sessions"],
      ["Requests", "/console/requests", "/api/v2/aibridge/interceptions"],
    ] as const) {
      const probe = await fetch(`${server.url}${api}?limit=1`, {
        headers: { authorization: `Bearer ${key}` },
      });
      if (probe.status !== 200) {
        console.log(`${name}: ${api} answers ${probe.status} on this build; not measured`);
        continue;
      }
      const timing: PageTiming = {
        page: name,
        samples: [],
        apiMs: [],
        scriptMs: [],
        apiStartMs: [],
        total: "",
      };
      for (let run = 0; run < RUNS + 1; run++) {
        // A fresh context each run: no cached assets, the key put in sessionStorage as sign-in does.
        const context = await browser.createBrowserContext();
        const page = await context.newPage();
        await page.setViewport({ width: 1280, height: 800 });
        await page.goto(`${server.url}/console/assets/none`, { waitUntil: "domcontentloaded" });
        await page.evaluate(
          (k, me) => {
            sessionStorage.setItem("aibridge.console.key", k);
            sessionStorage.setItem("aibridge.console.me", me);
          },
          key,
          JSON.stringify(
            await (
              await fetch(`${server.url}/api/v2/users/me`, { headers: { authorization: `Bearer ${key}` } })
            ).json(),
          ),
        );
        const started = performance.now();
        await page.goto(`${server.url}${path}`, { waitUntil: "domcontentloaded" });
        await page.waitForSelector("table.list tbody tr", { timeout: 60_000 });
        const elapsed = performance.now() - started;
        // Where the time went, from the page's own timings (ms since navigation start).
        const phases = await page.evaluate((prefix) => {
          const resources = performance.getEntriesByType(
            "resource",
          ) as unknown as PerformanceResourceTiming[];
          const script = resources.find((e) => e.name.endsWith(".js"));
          const call = resources.find((e) => e.name.includes(prefix));
          return {
            script: script?.responseEnd ?? -1,
            apiStart: call?.startTime ?? -1,
            apiEnd: call?.responseEnd ?? -1,
          };
        }, api);
        const apiMs = phases.apiEnd - phases.apiStart;
        timing.total = await page.$eval("[data-testid=total]", (e) => e.textContent ?? "");
        // The first run warms the server's caches and the database's buffers.
        if (run > 0) {
          timing.samples.push(elapsed);
          timing.apiMs.push(apiMs);
          timing.scriptMs.push(phases.script);
          timing.apiStartMs.push(phases.apiStart);
        }
        await context.close();
      }
      timings.push(timing);
    }
    // The same browser showing a bare JSON answer: what this machine costs before any console code.
    const baseline: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${server.url}/healthz`, { waitUntil: "domcontentloaded" });
      baseline.push(performance.now() - started);
      await context.close();
    }
    baselineMs = baseline;
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  console.log(
    `\nfirst page in headless chromium, ${values.rows} interceptions on PostgreSQL, median of ${RUNS} cold loads`,
  );
  console.log(
    "(navigation start → first row on screen; a new browser context each time: assets not cached)\n",
  );
  console.log(`load average (1 min) at the end: ${loadavg()[0]!.toFixed(2)}`);
  console.log(
    `baseline, a new tab showing /healthz (domcontentloaded): median ${median(baselineMs).toFixed(0)} ms\n`,
  );
  console.log(
    "| page | median ms | max ms | script arrived at | API call started at | API call ms | shown | < 1 s |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- | :---: |");
  for (const t of timings) {
    const m = median(t.samples);
    const cells = [m, Math.max(...t.samples), median(t.scriptMs), median(t.apiStartMs), median(t.apiMs)];
    console.log(
      `| ${t.page} | ${cells.map((n) => n.toFixed(0)).join(" | ")} | ${t.total} | ${m < TARGET_MS ? "yes" : "**no**"} |`,
    );
  }
}

await main();
