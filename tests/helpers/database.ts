import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import postgres from "postgres";

import type { Database } from "../../src/db/engine";

/** Which engine the suite runs against: `AIBRIDGE_TEST_DB=postgres` or the default `pglite`. */
export const TEST_ENGINE = process.env.AIBRIDGE_TEST_DB === "postgres" ? "postgres" : "pglite";
const ADMIN_URL = process.env.AIBRIDGE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  postgresUrl: string;
  dataDir: string;
  dispose(): Promise<void>;
}

/** A fresh, empty database for one test file: a new PostgreSQL database or a new PGlite data dir. */
export async function createTestDatabase(engine = TEST_ENGINE): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), "aibridge-test-"));
  if (engine === "pglite") {
    return {
      postgresUrl: "",
      dataDir,
      dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `aibridge_test_${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    postgresUrl: url.toString(),
    dataDir,
    dispose: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

/** Counts the SQL statements the database client is asked to run. */
export function countStatements(database: Database) {
  const session = (database.db as unknown as { session: { client: Record<string, unknown> } }).session;
  const client = session.client;
  const methods = database.engine === "postgres" ? ["unsafe"] : ["query", "exec"];
  const originals = new Map<string, unknown>();
  const statements: string[] = [];
  for (const name of methods) {
    const original = client[name] as (...args: unknown[]) => unknown;
    originals.set(name, original);
    client[name] = function (this: unknown, ...args: unknown[]) {
      statements.push(String(args[0]));
      return original.apply(this, args);
    };
  }
  return {
    statements,
    restore() {
      for (const [name, original] of originals) client[name] = original;
    },
  };
}
