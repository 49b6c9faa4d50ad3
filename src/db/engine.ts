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
   * Runs one statement of fixed text (the recording hot path), in a single round trip, on
   * PostgreSQL on a connection of its own.
   */
  run(statement: string, params: unknown[]): Promise<void>;
  /**
   * The same for a statement whose plan depends on table sizes (a join): on PostgreSQL it runs on
   * another connection, which plans every execution for the tables as they are (a generic plan
   * chosen while they were tiny, a sequential scan, must not stay as they grow).
   */
  runReplanned(statement: string, params: unknown[]): Promise<void>;
  /**
   * A background statement with rows to read (the instance heartbeat, the crash sweep): on
   * PostgreSQL on the batch writes' connection, so that neither the management API's pool nor the
   * request path's start inserts wait behind it.
   */
  background<T>(statement: string, params: unknown[]): Promise<T[]>;
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
    // The schema has no custom or array types to learn. The lookup postgres.js otherwise runs on
    // every new connection has no caller: a backend terminated during it (a restart, a failover)
    // was an unhandled rejection that ended the process.
    fetch_types: false,
    // Its default waits up to 20 s before reconnecting after repeated drops (a restart, a
    // failover), holding every request that needs the connection meanwhile. A gateway retries
    // promptly and lets a request fail (503) rather than hang.
    backoff: (retries: number) => Math.min(0.025 * 2 ** retries, 1),
    // With named prepared statements, postgres.js (3.4) under Bun can leave a query waiting
    // forever when its backend is terminated at the wrong moment, and with it every request
    // queued behind it on that connection. Unnamed statements never hang; they cost a describe
    // round trip per statement, which the management API's few statements can afford.
    prepare: false,
  };
  const client = postgres(url, { ...options, max });
  // The recording hot path has connections of its own, whatever the management API is doing with
  // the pool: Bun's native client, which keeps its statements prepared (one round trip each) and
  // survives terminated backends, at a lower cost per statement than postgres.js.
  const native = { max: 1, connectionTimeout: 5 };
  const recording = new Bun.SQL(url, native);
  const replanning = new Bun.SQL(url, { ...native, connection: { plan_cache_mode: "force_custom_plan" } });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return {
    db,
    engine: "postgres",
    run: async (statement, params) => {
      await recording.unsafe(statement, params as never[]);
    },
    runReplanned: async (statement, params) => {
      await replanning.unsafe(statement, params as never[]);
    },
    background: async <T>(statement: string, params: unknown[]) =>
      [...(await replanning.unsafe(statement, params as never[]))] as T[],
    close: async () => {
      await Promise.all([
        client.end({ timeout: 5 }),
        recording.close({ timeout: 5 }),
        replanning.close({ timeout: 5 }),
      ]);
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
      background: async <T>(statement: string, params: unknown[]) =>
        (await client.query<T>(statement, params)).rows,
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
