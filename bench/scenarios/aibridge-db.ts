/**
 * The databases of the aibridge scenarios: a fresh PostgreSQL database, or a fresh PGlite data dir;
 * and, once the gateway has stopped, the records it wrote for one API key.
 */
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";

import type { RecordCounts } from "./types.ts";

export const BENCH_DATABASE = "aibridge_bench";

/** The server to create the bench database on (BENCH_PG_ADMIN_URL overrides). */
export function adminUrl(): string {
  return process.env.BENCH_PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
}

/** Drops and recreates `name` (`aibridge_bench` by default); returns its URL. */
export async function recreatePostgresDatabase(name = BENCH_DATABASE): Promise<string> {
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

const COUNTS_SQL = `
  SELECT
    (SELECT count(*) FROM aibridge_interceptions WHERE api_key_id = $1)::int AS interceptions,
    (SELECT count(*) FROM aibridge_interceptions WHERE api_key_id = $1 AND ended_at IS NOT NULL)::int AS ended,
    (SELECT count(*) FROM aibridge_token_usages u JOIN aibridge_interceptions i ON i.id = u.interception_id
      WHERE i.api_key_id = $1)::int AS token_usages`;

interface CountsRow {
  interceptions: number;
  ended: number;
  token_usages: number;
}

function toCounts(row: CountsRow | undefined): RecordCounts {
  return {
    interceptions: row?.interceptions ?? 0,
    ended: row?.ended ?? 0,
    tokenUsages: row?.token_usages ?? 0,
  };
}

export async function countPostgresRecords(url: string, apiKeyId: string): Promise<RecordCounts> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql.unsafe<CountsRow[]>(COUNTS_SQL, [apiKeyId]);
    return toCounts(rows[0]);
  } finally {
    await sql.end();
  }
}

/** Opens the data dir itself, so only after the gateway has exited and released it. */
export async function countPgliteRecords(dataDir: string, apiKeyId: string): Promise<RecordCounts> {
  const db = new PGlite(dataDir);
  try {
    const result = await db.query<CountsRow>(COUNTS_SQL, [apiKeyId]);
    return toCounts(result.rows[0]);
  } finally {
    await db.close();
  }
}
