import { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";

import { lockDataDir } from "./data-dir-lock";
import { pgliteAssets } from "./embedded-assets";
import { schema } from "./schema";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema, ExtractTablesWithRelations<typeof schema>>;

export interface Database {
  db: Db;
  engine: "postgres" | "pglite";
  close(): Promise<void>;
}

export interface DatabaseOptions {
  postgresUrl: string;
  dataDir: string;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.postgresUrl) return openPostgres(options.postgresUrl, options.maxConnections ?? 20);
  return openPglite(options.dataDir);
}

function openPostgres(url: string, max: number): Database {
  const client = postgres(url, {
    max,
    onnotice: () => {},
    connect_timeout: 5,
    // Never let the URL (with its password) reach an error message.
    debug: false,
  });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return { db, engine: "postgres", close: () => client.end({ timeout: 5 }) };
}

async function openPglite(dataDir: string): Promise<Database> {
  const lock = lockDataDir(dataDir);
  try {
    const client = new PGlite({ dataDir, ...(await pgliteAssets()) });
    await client.waitReady;
    const db = drizzlePglite(client, { schema }) as unknown as Db;
    return {
      db,
      engine: "pglite",
      close: async () => {
        try {
          await client.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
