import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import { startTestGateway, type TestGateway } from "../helpers/gateway";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

function assetPaths(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
}

describe("/console from source (SPEC §18; the browser tests cover the executable)", () => {
  test("every console address serves the page with a same-origin-only CSP", async () => {
    for (const path of ["/console", "/console/", "/console/requests", "/console/sessions/abc%20def?x=1"]) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("text/html");
      expect(res.headers.get("content-security-policy")).toStartWith("default-src 'self'");
      expect(await res.text()).toContain('<div id="app"></div>');
    }
  });

  test("the page's scripts, styles and icon are served from /console/assets/, gzipped when accepted", async () => {
    const html = await (await fetch(`${gw.url}/console`)).text();
    const paths = assetPaths(html);
    expect(paths.length).toBeGreaterThanOrEqual(3);
    expect(paths.every((p) => p.startsWith("/console/assets/"))).toBe(true);
    let gzipped = 0;
    for (const path of paths) {
      const res = await fetch(`${gw.url}${path}`, {
        headers: { "accept-encoding": "gzip" },
        decompress: false,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toContain("immutable");
      expect(res.headers.get("content-encoding")).toBe("gzip");
      gzipped += (await res.arrayBuffer()).byteLength;
      const etag = res.headers.get("etag")!;
      expect((await fetch(`${gw.url}${path}`, { headers: { "if-none-match": etag } })).status).toBe(304);
      const plain = await fetch(`${gw.url}${path}`, { headers: { "accept-encoding": "identity" } });
      expect(plain.headers.get("content-encoding")).toBeNull();
    }
    // Everything shipped to the browser stays within the budget.
    expect(gzipped).toBeLessThan(250 * 1024);
    console.log(`web console: ${(gzipped / 1024).toFixed(1)} KB gzipped in ${paths.length} files`);
  });

  test("an unknown asset is a 404, and the console's routes stay out of the OpenAPI document", async () => {
    expect((await fetch(`${gw.url}/console/assets/nope.js`)).status).toBe(404);
    const spec = await (await fetch(`${gw.url}/swagger/json`)).json();
    expect(Object.keys(spec.paths).filter((p) => p.startsWith("/console"))).toEqual([]);
  });
});
