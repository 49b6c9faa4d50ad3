import { Elysia, t } from "elysia";

const Health = t.Object({ status: t.String() }, { title: "Health" });

export interface HealthDeps {
  /** Database reachable and migrated, and not shutting down. */
  ready: () => Promise<{ ok: boolean; reason?: string }>;
}

export function healthRoutes({ ready }: HealthDeps) {
  return new Elysia({ tags: ["Health"] })
    .get("/healthz", () => ({ status: "ok" }), {
      response: { 200: Health },
      detail: { summary: "The process is up", security: [], operationId: "healthz" },
    })
    .get(
      "/readyz",
      async ({ status, set }) => {
        const result = await ready();
        if (result.ok) return { status: "ready" };
        // Like every 503 the gateway makes (SPEC §13).
        set.headers["retry-after"] = "1";
        return status(503, { status: result.reason ?? "not ready" });
      },
      {
        response: { 200: Health, 503: Health },
        detail: { summary: "Database reachable and migrated", security: [], operationId: "readyz" },
      },
    );
}
