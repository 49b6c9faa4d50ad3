import { sql } from "drizzle-orm";

import type { Db } from "./engine";
import { migrations as embedded } from "./migrations.generated";

export interface Migration {
  tag: string;
  sql: string;
}

// Any constant works; it only has to be the same for every aibridge process.
const MIGRATION_LOCK_KEY = 7_315_002_417;

/**
 * Applies pending migrations in one transaction, under an advisory lock so that concurrent starts
 * against one PostgreSQL serialize instead of racing. Returns the tags applied.
 */
export async function migrate(db: Db, migrations: Migration[] = embedded): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(
      sql`CREATE TABLE IF NOT EXISTS aibridge_schema_migrations (tag text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const rows = await tx.execute<{ tag: string }>(sql`SELECT tag FROM aibridge_schema_migrations`);
    const applied = new Set(resultRows<{ tag: string }>(rows).map((r) => r.tag));
    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.tag)) continue;
      for (const statement of migration.sql.split("--> statement-breakpoint")) {
        if (statement.trim()) await tx.execute(sql.raw(statement));
      }
      await tx.execute(sql`INSERT INTO aibridge_schema_migrations (tag) VALUES (${migration.tag})`);
      done.push(migration.tag);
    }
    return done;
  });
}

/** True when the database answers and every embedded migration is applied. */
export async function isMigrated(db: Db, migrations: Migration[] = embedded): Promise<boolean> {
  const last = migrations.at(-1)?.tag;
  if (!last) return true;
  const rows = await db.execute<{ ok: number }>(
    sql`SELECT 1 AS ok FROM aibridge_schema_migrations WHERE tag = ${last}`,
  );
  return resultRows(rows).length === 1;
}

/** postgres.js returns an array; PGlite returns `{ rows }`. */
export function resultRows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
