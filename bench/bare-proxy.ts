/**
 * The practical limit of any Bun proxy: `Bun.serve` + `fetch`, nothing else.
 *   UPSTREAM=http://127.0.0.1:8081 PORT=8082 BUN_CONFIG_MAX_HTTP_REQUESTS=65535 bun bench/bare-proxy.ts
 * Prints `listening http://127.0.0.1:PORT` on stdout once ready.
 */
const upstream = (process.env.UPSTREAM ?? "http://127.0.0.1:8081").replace(/\/$/, "");

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  idleTimeout: 0,
  development: false,
  async fetch(req) {
    const url = new URL(req.url);
    const headers = new Headers(req.headers);
    headers.delete("host");
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
    return fetch(upstream + url.pathname + url.search, {
      method: req.method,
      headers,
      body,
      decompress: false,
    });
  },
});

process.stdout.write(`listening http://127.0.0.1:${server.port}\n`);
