import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { Browser, Page } from "puppeteer-core";

import { isolatedExecutable } from "../helpers/binary";
import { createTestDatabase, TEST_ENGINE, type TestDatabase } from "../helpers/database";
import { api } from "../helpers/http";
import { MockUpstream } from "../helpers/mock-upstream";
import { REPO, spawnServer } from "../helpers/process";
import {
  CHROMIUM,
  clearField,
  fieldValue,
  focused,
  launchBrowser,
  rowCount,
  scrollsSideways,
  selectAll,
  textOf,
  type WatchedPage,
  waitForText,
  watchedPage,
} from "./browser";
import { answerLikeProviders, type Seeded, seed } from "./seed";

// A real build, a real server process and a real browser on a possibly loaded machine (a new PGlite
// cluster alone can take minutes while the rest of the suite runs beside it).
setDefaultTimeout(420_000);

// Screenshots go to a temporary directory; `CONSOLE_SCREENSHOTS=docs/console` refreshes the README's.
const SHOTS = process.env.CONSOLE_SCREENSHOTS
  ? join(REPO, process.env.CONSOLE_SCREENSHOTS)
  : mkdtempSync(join(tmpdir(), "aibridge-console-shots-"));

if (!CHROMIUM)
  console.warn(
    "tests/browser: no chromium at /usr/bin/chromium; the web console tests are skipped (.ci/run installs it)",
  );

let dir: string;
let db: TestDatabase;
let upstream: MockUpstream;
let server: Awaited<ReturnType<typeof spawnServer>>;
let browser: Browser;
let data: Seeded;
let origin: string;
const watched: WatchedPage[] = [];

beforeAll(async () => {
  if (!CHROMIUM) return;
  ({ dir } = await isolatedExecutable("aibridge-console-test"));
  db = await createTestDatabase();
  upstream = new MockUpstream();
  answerLikeProviders(upstream);
  server = await spawnServer(
    [
      `--aibridge-openai-base-url=${upstream.url}/v1/`,
      "--aibridge-openai-key=sk-openai-console-test",
      `--aibridge-anthropic-base-url=${upstream.url}/`,
      "--aibridge-anthropic-key=sk-ant-console-test",
    ],
    {
      exe: [join(dir, "aibridge")],
      cwd: dir,
      env: { CODER_PG_CONNECTION_URL: db.postgresUrl, CODER_AIBRIDGE_DATA_DIR: join(dir, "data") },
      readyTimeoutMs: 300_000,
    },
  );
  if (server.readyMs < 0) throw new Error(`the executable did not start: ${server.stderr()}`);
  origin = server.url;
  const adminKey = /^ {4}(\S+)$/m.exec(server.stderr())?.[1];
  if (!adminKey) throw new Error("no bootstrap key on stderr");
  data = await seed(origin, adminKey);
  browser = await launchBrowser();
  mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  if (server) await server.stop();
  upstream?.stop();
  await db?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(path = "/console"): Promise<WatchedPage> {
  const w = await watchedPage(browser);
  watched.push(w);
  await w.page.goto(`${origin}${path}`, { waitUntil: "domcontentloaded" });
  return w;
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.waitForSelector("#api-key");
  await page.type("#api-key", key);
  await page.keyboard.press("Enter");
  await page.waitForSelector(".topbar");
}

const search = (page: Page) => new URL(page.url()).searchParams;

async function waitForUrl(
  page: Page,
  test: (params: URLSearchParams, path: string) => boolean,
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const url = new URL(page.url());
    if (test(url.searchParams, url.pathname)) return;
    await Bun.sleep(25);
  }
  throw new Error(`the URL never matched: ${page.url()}`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) as `${string}.png` });
}

describe.skipIf(!CHROMIUM)(
  `the web console in headless chromium, compiled executable on ${TEST_ENGINE}`,
  () => {
    let admin: WatchedPage;

    test("sign-in refuses a wrong key and opens the console with a valid one; assets carry the CSP", async () => {
      const page = await fetch(`${origin}/console/requests`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
      admin = await open("/console");
      const { page: tab } = admin;
      await tab.waitForSelector("#api-key");
      await screenshot(tab, "sign-in");
      await tab.type("#api-key", "not-a-real-key");
      await tab.keyboard.press("Enter");
      await waitForText(tab, "#sign-in-error", "not accepted");
      await clearField(tab, "#api-key");
      await signIn(tab, data.admin.key);
      expect(await textOf(tab, "main h1")).toBe("Sessions");
      expect(await textOf(tab, ".whoami")).toContain("admin");
    });

    test("Requests: real rows; filters and pagination change the rows and the URL", async () => {
      const { page } = admin;
      await page.click('nav a[href="/console/requests"]');
      await waitForText(page, "[data-testid=total]", `1–25 of ${data.total} requests`);
      expect(await rowCount(page)).toBe(25);
      // Newest first: the admin's four requests were sent last.
      expect(await textOf(page, "table.list tbody tr td:nth-child(2)")).toBe("admin");

      await page.click("nav.pager button:nth-of-type(2)"); // Next
      await waitForText(page, "[data-testid=total]", `26–${data.total} of ${data.total} requests`);
      expect(search(page).get("page")).toBe("2");
      expect(await rowCount(page)).toBe(data.total - 25);

      await page.select("nav.pager select", "50");
      await waitForText(page, "[data-testid=total]", `1–${data.total} of ${data.total}`);
      expect(search(page).get("size")).toBe("50");
      expect(search(page).has("page")).toBe(false);
      expect(await rowCount(page)).toBe(data.total);

      await page.select("#filter-provider", "openai");
      const openai = data.sent.bob! + data.sent.admin!;
      await waitForText(page, "[data-testid=total]", `of ${openai} requests`);
      expect(search(page).get("provider")).toBe("openai");
      expect(
        await page.$$eval("table.list tbody tr td:nth-child(3)", (cells) => [
          ...new Set(cells.map((c) => c.textContent)),
        ]),
      ).toEqual(["openai"]);

      await page.click(".filters button[aria-pressed]"); // Me
      await waitForText(page, "[data-testid=total]", `of ${data.sent.admin} requests`);
      expect(search(page).get("user")).toBe("me");

      // Reload keeps the view: the filters live in the URL.
      await page.reload({ waitUntil: "domcontentloaded" });
      await waitForText(page, "[data-testid=total]", `of ${data.sent.admin} requests`);
      expect(await fieldValue(page, "#filter-provider")).toBe("openai");

      // A row opens to show the prompt.
      await page.click("table.list tbody tr button.link");
      await waitForText(page, "tr.row-details", "Summarise incident");
      await screenshot(page, "requests");

      // No match: the empty state says so.
      await page.goto(`${origin}/console/requests?model=no-such-model`, { waitUntil: "domcontentloaded" });
      await waitForText(page, ".state-empty", "No requests match these filters");
      expect(await fieldValue(page, 'input[name="model"]')).toBe("no-such-model");

      await page.click(".filters .field-actions button"); // Clear filters
      await waitForText(page, "[data-testid=total]", `of ${data.total} requests`);
      expect(search(page).has("provider")).toBe(false);
    });

    test("the model type-ahead offers prefix matches from /api/v2/aibridge/models and applies one by keyboard", async () => {
      const { page, requests } = admin;
      const input = 'input[name="model"]';
      await page.click(input);
      await page.type(input, "gpt-4o");
      await page.waitForSelector('[role="listbox"] [role="option"]');
      const options = await page.$$eval('[role="listbox"] [role="option"]', (o) =>
        o.map((e) => e.textContent),
      );
      expect(options).toEqual(["gpt-4o", "gpt-4o-mini"]);
      expect(
        requests.some(
          (u) => u.includes("/api/v2/aibridge/models") && decodeURIComponent(u).includes('model:"gpt-4o"'),
        ),
      ).toBe(true);
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("Enter");
      await waitForUrl(page, (p) => p.get("model") === "gpt-4o-mini");
      await waitForText(page, "[data-testid=total]", "of 4 requests");

      await selectAll(page, input);
      await page.type(input, "claude");
      await waitForText(page, '[role="listbox"]', "claude-sonnet-4-5-20250929");
      expect(await page.$$eval('[role="option"]', (o) => o.map((e) => e.textContent))).toEqual([
        "claude-sonnet-4-5-20250929",
      ]);
      await page.keyboard.press("Escape");
      await selectAll(page, input);
      await page.keyboard.press("Backspace");
      await page.keyboard.press("Tab");
      await waitForUrl(page, (p) => !p.has("model"));
    });

    test("Sessions (home): real sessions, filters in the URL, and a session's timeline with in-page search", async () => {
      const { page } = admin;
      await page.click('nav a[href="/console"]');
      // alice's one Claude Code session, bob's two Codex sessions, and one per admin request.
      const sessions = 1 + 2 + data.sent.admin!;
      await waitForText(page, "[data-testid=total]", `of ${sessions} sessions`);
      expect(await rowCount(page)).toBe(sessions);
      expect(await textOf(page, "table.sessions tbody")).toContain("Run the test suite, pass 10");
      await screenshot(page, "sessions");
      await page.select("#filter-provider", "anthropic");
      await waitForText(page, "[data-testid=total]", "1–1 of 1 session");
      expect(search(page).get("provider")).toBe("anthropic");
      const row = await textOf(page, "table.sessions tbody tr");
      for (const cell of ["alice", "anthropic", "Claude Code", "claude-sonnet-4-5-20250929", "10"])
        expect(row).toContain(cell);

      await page.click("table.sessions tbody tr td a");
      await waitForUrl(page, (_p, path) => path === "/console/sessions/session-alice-1");
      await waitForText(page, ".timeline", "Run the test suite, pass 1");
      expect(await page.$$eval("article.thread", (t) => t.length)).toBe(10);
      // Each thread: the prompt and its three agentic actions with their tool calls; thinking collapsed.
      expect(await page.$$eval("article.thread:first-child li.action", (a) => a.length)).toBe(3);
      expect(await textOf(page, "article.thread li.action .tool-call")).toContain('{"command":"bun test"}');
      expect(await page.$$eval("details.thinking", (d) => d.length)).toBe(30);
      expect(await page.$$eval("details.thinking[open]", (d) => d.length)).toBe(0);
      await page.type("#session-search", "pass 7");
      await waitForText(page, ".field.search", "1 of 10 threads match");
      expect(await page.$$eval("article.thread", (t) => t.length)).toBe(1);
      await page.click("article.thread details.thinking summary");
      await screenshot(page, "session");
    });

    test("Spend: cost and tokens per day by model, top users/models/clients, CSV export", async () => {
      const { page } = admin;
      await page.click('nav a[href="/console/spend"]');
      await page.waitForSelector(".chart canvas");
      await waitForText(page, "section[aria-label='Top users']", "alice");
      await waitForText(page, "section[aria-label='Top models']", "claude-sonnet-4-5-20250929");
      await waitForText(page, "section[aria-label='Top clients']", "Claude Code");
      expect(await textOf(page, "[data-testid=total-cost]")).toMatch(/^\$\d+\.\d\d$/);
      expect(await textOf(page, "[data-testid=total-cost]")).not.toBe("$0.00");
      await screenshot(page, "spend");
      await page.click('.segmented button[aria-pressed="false"]'); // Tokens
      await waitForText(page, "section[aria-label='Per day'] h2", "Tokens per day");
      const exported = page.waitForResponse((r) => r.url().includes("/api/v2/aibridge/spend/export"));
      await page.click("section[aria-label='Per day'] header > button:last-child");
      const csv = await exported;
      expect(csv.status()).toBe(200);
      expect(csv.headers()["content-type"]).toStartWith("text/csv");
      expect(new URL(csv.url()).searchParams.get("group_by")).toBe("day");
    });

    test("Users and keys: an owner creates a user, changes its role, creates a key shown once and deletes it", async () => {
      const { page } = admin;
      await page.click('nav a[href="/console/users"]');
      await waitForText(page, "table.users", "alice");
      await page.type("#new-username", "dave");
      await page.type("#new-name", "Dave Example");
      await page.click("form.create-user button[type=submit]");
      await waitForText(page, "table.users", "dave");
      await page.select('select[aria-label="Role of dave"]', "auditor");
      await waitForText(page, "table.users", "dave");
      for (let i = 0; i < 100; i++) {
        if ((await api(origin, "/api/v2/users/dave", { key: data.admin.key })).json.role === "auditor") break;
        await Bun.sleep(25);
      }
      expect((await api(origin, "/api/v2/users/dave", { key: data.admin.key })).json.role).toBe("auditor");

      const row = await page.$$eval("table.users > tbody > tr", (rows) =>
        rows.findIndex((r) => r.textContent?.includes("dave")),
      );
      await page.click(`table.users > tbody > tr:nth-child(${row + 1}) button[aria-expanded]`);
      await page.waitForSelector('section[aria-label="API keys of dave"]');
      await waitForText(page, 'section[aria-label="API keys of dave"]', "No API keys.");
      await page.type('section[aria-label="API keys of dave"] input[type=text]', "laptop");
      await page.click('section[aria-label="API keys of dave"] button[type=submit]');
      const key = await textOf(page, "[data-testid=new-key]");
      expect((await api(origin, "/api/v2/users/me", { key })).json.username).toBe("dave");
      await waitForText(page, 'section[aria-label="API keys of dave"] table', "laptop");
      await screenshot(page, "users");
      await page.click('section[aria-label="API keys of dave"] .new-key button');
      expect(await page.$("[data-testid=new-key]")).toBeNull();
      await page.click('section[aria-label="API keys of dave"] button.danger');
      await page.waitForSelector('section[aria-label="API keys of dave"] .confirm button.danger');
      // The confirmation has the focus: Enter deletes.
      await page.keyboard.press("Enter");
      await waitForText(page, 'section[aria-label="API keys of dave"]', "No API keys.");
      expect((await api(origin, "/api/v2/users/me", { key })).status).toBe(401);

      // A monthly budget for dave, in dollars.
      await page.click("tr.row-details [data-testid=budget] button");
      await page.type("tr.row-details [data-testid=budget] input", "25.50");
      await page.keyboard.press("Enter");
      await waitForText(page, "tr.row-details [data-testid=budget]", "of $25.50 this month");
      expect(
        (await api(origin, "/api/v2/users/dave/budget", { key: data.admin.key })).json.monthly_limit_micros,
      ).toBe(25_500_000);
    });

    test("a member sees only their own requests, sessions, spend and keys", async () => {
      const member = await open("/console/requests?user=bob");
      const { page } = member;
      await signIn(page, data.alice.key);
      await page.waitForSelector("table.list, .state-empty");
      await page.goto(`${origin}/console/requests`, { waitUntil: "domcontentloaded" });
      await waitForText(page, "[data-testid=total]", `of ${data.sent.alice} requests`);
      expect(await page.$("#filter-user")).toBeNull();
      expect(await textOf(page, ".filters")).toContain("alice (you)");
      for (const path of ["/console", "/console/spend", "/console/users"]) {
        await page.goto(`${origin}${path}`, { waitUntil: "domcontentloaded" });
        await page.waitForSelector("main table, main .state, main .card");
        await Bun.sleep(300);
        expect(await scrollsSideways(page)).toBe(false);
        if (path === "/console/spend") {
          // Their own budget and spend; no list of users.
          await waitForText(page, "section[aria-label='Your budget'] [data-testid=budget]", "this month");
          await waitForText(page, "section[aria-label='Top models']", "claude-sonnet-4-5-20250929");
          expect(await page.$("section[aria-label='Top users']")).toBeNull();
          expect(await textOf(page, "section[aria-label='Top models']")).not.toContain("gpt-4o");
        }
      }
      expect(await textOf(page, "main h1")).toBe("API keys");
      await waitForText(page, "[data-testid=budget]", "this month");
      expect(await page.$("table.users")).toBeNull();
      await waitForText(page, 'section[aria-label="Your API keys"]', "(this console)");
      await screenshot(page, "member-keys");
      // Nothing the member's browser received names another user.
      expect(member.apiBodies.length).toBeGreaterThan(3);
      for (const other of [data.bob, data.admin]) {
        const leaks = member.apiBodies.filter(
          (b) => b.body.includes(other.id) || b.body.includes(`"${other.username}"`),
        );
        expect(leaks.map((b) => b.url)).toEqual([]);
      }
    });

    test("an expired key brings back the sign-in with a message", async () => {
      const created = await api(origin, "/api/v2/users/bob/keys", {
        method: "POST",
        key: data.admin.key,
        body: { name: "short" },
      });
      const w = await open("/console/requests");
      await signIn(w.page, created.json.key);
      await waitForText(w.page, "[data-testid=total]", `of ${data.sent.bob} requests`);
      expect(
        (
          await api(origin, `/api/v2/users/bob/keys/${created.json.id}`, {
            method: "DELETE",
            key: data.admin.key,
          })
        ).status,
      ).toBe(204);
      // Spend may not exist on this server yet; the keys page asks the API for sure.
      await w.page.click('nav a[href="/console/users"]');
      await waitForText(w.page, ".notice", "no longer accepted");
      expect(await w.page.$(".topbar")).toBeNull();
      await screenshot(w.page, "expired");
    });

    test("usable by keyboard: skip link, navigation and paging without a mouse", async () => {
      const w = await open("/console");
      const { page } = w;
      await page.waitForSelector("#api-key");
      // The key field has the focus on arrival.
      expect((await focused(page)).id).toBe("api-key");
      await page.keyboard.type(data.admin.key);
      await page.keyboard.press("Enter");
      await page.waitForSelector(".topbar");
      await page.keyboard.press("Tab");
      expect((await focused(page)).text).toBe("Skip to content");
      for (let i = 0; i < 10; i++) {
        await page.keyboard.press("Tab");
        if ((await focused(page)).text === "Requests") break;
      }
      await page.keyboard.press("Enter");
      await waitForUrl(page, (_p, path) => path === "/console/requests");
      await waitForText(page, "[data-testid=total]", `of ${data.total} requests`);
      // Focus moved to the new page's heading; Tab walks into the filters.
      expect((await focused(page)).tag).toBe("H1");
    });

    test("every page fits 1280×800 without horizontal scrolling", async () => {
      const { page } = admin;
      for (const path of ["/console", "/console/requests", "/console/spend", "/console/users"]) {
        await page.goto(`${origin}${path}`, { waitUntil: "domcontentloaded" });
        await page.waitForSelector("main table, main .state, main .card");
        await Bun.sleep(300);
        expect({ path, sideways: await scrollsSideways(page) }).toEqual({ path, sideways: false });
      }
    });

    test("no request left for another host and no console errors", () => {
      const requests = watched.flatMap((w) => w.requests);
      expect(requests.length).toBeGreaterThan(20);
      expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
      // Chromium logs every 4xx answer as a failed resource load; the console handles those (wrong key,
      // expired key, an API this server lacks). Anything else is a real error.
      const errors = watched
        .flatMap((w) => w.errors)
        .filter((e) => !/^Failed to load resource: the server responded with a status of 4\d\d/.test(e));
      expect(errors).toEqual([]);
      console.log(`web console screenshots: ${SHOTS}`);
    });
  },
);
