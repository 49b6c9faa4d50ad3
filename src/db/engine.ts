import type { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";

import { lockDataDir } from "./data-dir-lock";
import { RemotePglite } from "./pglite-remote";
import { schema } from "./schema";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema, ExtractTablesWithRelations<typeof schema>>;

export interface Database {
  db: Db;
  engine: "postgres" | "pglite";
  /**
   * Runs one statement of fixed text (the recording hot path). On PostgreSQL it is prepared once
   * per connection, so each later call is a single round trip: no parse, no parameter describe.
   */
  run(statement: string, params: unknown[]): Promise<void>;
  /**
   * The same for a statement whose plan depends on table sizes (a join): on PostgreSQL it runs on
   * a connection of its own that plans every execution for the tables as they are. A prepared
   * statement otherwise settles on one generic plan after five runs, possibly chosen while the
   * tables were tiny (a sequential scan), and keeps it while they grow.
   */
  runReplanned(statement: string, params: unknown[]): Promise<void>;
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
  const options = {
    onnotice: () => {},
    connect_timeout: 5,
    // Never let the URL (with its password) reach an error message.
    debug: false,
  };
  const client = postgres(url, { ...options, max });
  // The recording hot path has connections of its own: one warm backend each, whatever the
  // management API is doing with the pool.
  const recording = postgres(url, { ...options, max: 1 });
  const replanning = postgres(url, {
    ...options,
    max: 1,
    connection: { plan_cache_mode: "force_custom_plan" },
  });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return {
    db,
    engine: "postgres",
    run: async (statement, params) => {
      await recording.unsafe(statement, params as never[], { prepare: true });
    },
    runReplanned: async (statement, params) => {
      await replanning.unsafe(statement, params as never[], { prepare: true });
    },
    close: async () => {
      await Promise.all([client, recording, replanning].map((c) => c.end({ timeout: 5 })));
    },
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const lock = lockDataDir(dataDir);
  try {
    const client = await RemotePglite.open(dataDir);
    const db = drizzlePglite(client as unknown as PGlite, { schema }) as unknown as Db;
    return {
      db,
      engine: "pglite",
      run: async (statement, params) => {
        await client.query(statement, params);
      },
      // PGlite runs each query as an unnamed statement, planned when it runs.
      runReplanned: async (statement, params) => {
        await client.query(statement, params);
      },
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
