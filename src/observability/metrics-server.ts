import type { Registry } from "./metrics";

/** The Prometheus `/metrics` listener on its own address (SPEC §11). */
export function startMetricsServer(registry: Registry, hostname: string, port: number) {
  return Bun.serve({
    hostname,
    port,
    reusePort: false,
    fetch(request) {
      if (new URL(request.url).pathname !== "/metrics") return new Response("not found\n", { status: 404 });
      return new Response(registry.render(), { headers: { "content-type": "text/plain; version=0.0.4" } });
    },
  });
}
