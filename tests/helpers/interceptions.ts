import type { interceptions } from "../../src/db/schema";

type InterceptionRow = typeof interceptions.$inferInsert;

/**
 * An `aibridge_interceptions` row to insert directly: finished one second after it started unless
 * `endedAt` says otherwise (null: still in flight).
 */
export function interceptionFixture(
  fields: Pick<InterceptionRow, "initiatorId" | "model" | "startedAt"> & Partial<InterceptionRow>,
): InterceptionRow {
  return {
    id: Bun.randomUUIDv7(),
    apiKeyId: "fixture",
    provider: "openai",
    client: "Unknown",
    credentialKind: "centralized",
    credentialHint: "",
    endedAt: new Date(fields.startedAt.getTime() + 1000),
    ...fields,
  };
}
