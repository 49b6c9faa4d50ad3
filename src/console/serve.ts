import { Elysia } from "elysia";

import { ASSETS_PATH, consoleBundle } from "./bundle";

// Everything the console loads comes from this origin; nothing inline, nothing from elsewhere.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

async function indexPage(): Promise<Response> {
  const { index } = await consoleBundle();
  return new Response(index, {
    headers: { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
  });
}

/** `/console`: the web console (SPEC §18), its page for every client-side route, and its assets. */
export function consoleRoutes() {
  const hidden = { detail: { hide: true } };
  return new Elysia({ name: "console" })
    .get("/console", indexPage, hidden)
    .get(
      `${ASSETS_PATH}:name`,
      async ({ params, request }) => {
        const asset = (await consoleBundle()).assets.get(params.name);
        if (!asset) return new Response("Not found.", { status: 404, headers: SECURITY_HEADERS });
        const headers = {
          ...SECURITY_HEADERS,
          "content-type": asset.type,
          etag: asset.etag,
          // Names carry a content hash.
          "cache-control": "public, max-age=31536000, immutable",
          vary: "accept-encoding",
        };
        if (request.headers.get("if-none-match") === asset.etag)
          return new Response(null, { status: 304, headers });
        if (!/\bgzip\b/.test(request.headers.get("accept-encoding") ?? ""))
          return new Response(asset.body, { headers });
        return new Response(asset.gzipped, { headers: { ...headers, "content-encoding": "gzip" } });
      },
      hidden,
    )
    .get("/console/*", indexPage, hidden);
}
