// Headless Debian chromium driven by puppeteer-core (which never downloads a browser of its own).
import { existsSync } from "node:fs";

import puppeteer, { type Browser, type Page } from "puppeteer-core";

// Code passed to page.evaluate runs in the browser; the tests are type-checked without the DOM
// library (it clashes with bun-types), so the little they touch is declared here, for this file only.
interface PageElement {
  id: string;
  tagName: string;
  textContent: string | null;
  value: string;
  select(): void;
}
declare const document: {
  activeElement: PageElement | null;
  documentElement: { scrollWidth: number };
  querySelectorAll(selector: string): Iterable<PageElement>;
};
declare const window: { innerWidth: number };

export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p)) ?? null;

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM!,
    headless: true,
    pipe: true,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
    defaultViewport: { width: 1280, height: 800 },
  });
}

/** A tab that records every request it makes and every console error or uncaught exception. */
export interface WatchedPage {
  page: Page;
  requests: string[];
  errors: string[];
  /** Bodies of the management API's answers, to check what a member could ever see. */
  apiBodies: { url: string; body: string }[];
}

export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  // Generous: the suite runs beside other heavy tests on a small machine.
  page.setDefaultTimeout(60_000);
  const watched: WatchedPage = { page, requests: [], errors: [], apiBodies: [] };
  page.on("request", (request) => watched.requests.push(request.url()));
  page.on("console", (message) => {
    if (message.type() === "error") watched.errors.push(message.text());
  });
  page.on("pageerror", (error) => watched.errors.push(String(error)));
  page.on("response", async (response) => {
    if (!new URL(response.url()).pathname.startsWith("/api/")) return;
    try {
      watched.apiBodies.push({ url: response.url(), body: await response.text() });
    } catch {
      // a body that is gone (navigation) cannot leak anything either
    }
  });
  return watched;
}

/** Text content of the first element matching, after it appears. */
export async function textOf(page: Page, selector: string): Promise<string> {
  await page.waitForSelector(selector);
  return page.$eval(selector, (e) => e.textContent ?? "");
}

/** Waits until the page's text under `selector` contains `text`. */
export async function waitForText(
  page: Page,
  selector: string,
  text: string,
  timeout = 60_000,
): Promise<void> {
  await page.waitForFunction(
    (s, t) => [...document.querySelectorAll(s)].some((e) => (e.textContent ?? "").includes(t)),
    { timeout },
    selector,
    text,
  );
}

/** Rows of the page's list table (detail rows excluded). */
export function rowCount(page: Page): Promise<number> {
  return page.$$eval("table.list tbody tr:not(.row-details)", (rows) => rows.length);
}

/** True when the page is wider than the window (a horizontal scrollbar). */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

/** The element that has the keyboard focus. */
export function focused(page: Page): Promise<{ id: string; tag: string; text: string }> {
  return page.evaluate(() => {
    const e = document.activeElement;
    return { id: e?.id ?? "", tag: e?.tagName ?? "", text: e?.textContent ?? "" };
  });
}

/** The value of a form field. */
export function fieldValue(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (e) => (e as unknown as PageElement).value);
}

/** Selects a text field's content, so that typing replaces it. */
export function selectAll(page: Page, selector: string): Promise<void> {
  return page.$eval(selector, (e) => (e as unknown as PageElement).select());
}

/** Empties a text field. */
export function clearField(page: Page, selector: string): Promise<void> {
  return page.$eval(selector, (e) => {
    (e as unknown as PageElement).value = "";
  });
}
