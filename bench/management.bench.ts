/**
 * Management API benchmark (issue 5): 1 000 000 interceptions with children on PostgreSQL, timed
 * through the real HTTP API — the first page, filtered pages, a deep cursor page, a month's spend
 * grouped several ways (SPEC §15), and the sessions (SPEC §14): their first page, filtered by user
 * and by model, a deep cursor page, and the detail of a 200-thread session. Target: each under
 * 50 ms (median).
 *
 *   bun bench/management.bench.ts [--rows 1000000] [--runs 21] [--reuse]
 *
 * Uses the database `aibridge_mgmt_bench` on postgres://postgres@127.0.0.1:5432 (BENCH_PG_ADMIN_URL
 * overrides the server, BENCH_MGMT_DATABASE the database name). It is dropped and refilled on every run unless --reuse finds it already filled.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";

import postgres from "postgres";

import { issueApiKey } from "../src/auth/issue-key.ts";
import { resolveConfig } from "../src/config/parse.ts";
import { findUser } from "../src/db/users.ts";
import { silentLogger } from "../src/observability/logger.ts";
import { startServer } from "../src/server.ts";

const DATABASE = process.env.BENCH_MGMT_DATABASE ?? "aibridge_mgmt_bench";
const TARGET_MS = 50;
const WARMUP_RUNS = 3;

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    runs: { type: "string", default: "21" },
    reuse: { type: "boolean", default: false },
  },
});
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);

const adminUrl = process.env.BENCH_PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const benchUrl = (() => {
  const url = new URL(adminUrl);
  url.pathname = `/${DATABASE}`;
  return url.toString();
})();

async function interceptionCount(): Promise<number> {
  const sql = postgres(benchUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`SELECT count(*)::int AS n FROM aibridge_interceptions`;
    return row?.n ?? 0;
  } catch {
    return 0;
  } finally {
    await sql.end();
  }
}

async function recreateDatabase(): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
}

const ANTHROPIC_MODELS = ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5", "claude-3-7-sonnet"];
const OPENAI_MODELS = ["gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4o", "o3", "o4-mini"];
const CLIENTS = ["Claude Code", "Codex", "Cursor", "Zed", "Unknown"];
const arrayLiteral = (items: string[]) => `ARRAY[${items.map((s) => `'${s}'`).join(",")}]`;

/** The session whose detail is timed: 200 threads of 5 agentic actions, the last hour. */
const LONG_SESSION = "bench-long-session";
const LONG_THREADS = 200;
const ACTIONS_PER_THREAD = 5;

/**
 * 999 members, ROWS interceptions over ~23 days (one in 1000 still in flight), and their children.
 * Sessions: runs of 50 consecutive interceptions belong to one member; every other run shares a
 * client session id (one session of 10 threads), the others have none (each thread of 5 is its own
 * session). Plus one long session of 200 threads. About ROWS × 0.11 sessions in all.
 */
async function fill(): Promise<void> {
  const sql = postgres(benchUrl, { max: 1, onnotice: () => {} });
  const step = async (label: string, text: string) => {
    const started = performance.now();
    await sql.unsafe(text);
    console.log(`  ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  // Threads of 5: the oldest (g % 5 = 4, since a larger g is older) is the root; each answers the next older.
  const id = (g: string) => `md5('bench-' || (${g}))::uuid`;
  const threadColumns = (g: string) =>
    `CASE WHEN ${g} % 5 = 4 THEN NULL ELSE ${id(`${g} + 1`)} END,
     CASE WHEN ${g} % 5 = 4 THEN NULL ELSE ${id(`${g} - ${g} % 5 + 4`)} END`;
  try {
    await step(
      "users",
      `INSERT INTO users (username, name, role)
       SELECT 'user' || lpad(g::text, 4, '0'), 'User ' || g, 'member' FROM generate_series(1, 999) g`,
    );
    // The insert triggers add rows inserted already finished one at a time; a million are counted
    // in one statement instead, the way migrations 0002 and 0006 count existing rows.
    await step(
      "interceptions",
      `ALTER TABLE aibridge_interceptions DISABLE TRIGGER aibridge_interceptions_count_insert;
       ALTER TABLE aibridge_interceptions DISABLE TRIGGER aibridge_interceptions_spend_insert;
       ALTER TABLE aibridge_interceptions DISABLE TRIGGER aibridge_interceptions_sessions_insert;
       INSERT INTO aibridge_interceptions
         (id, initiator_id, api_key_id, provider, model, client, client_session_id, user_agent, metadata,
          credential_kind, credential_hint, started_at, ended_at, thread_parent_id, thread_root_id, status)
       SELECT ${id("g")}, u.ids[1 + (g / 50) % u.n], 'bench-key',
              CASE WHEN g % 2 = 0 THEN 'anthropic' ELSE 'openai' END,
              CASE WHEN g % 2 = 0 THEN (${arrayLiteral(ANTHROPIC_MODELS)})[1 + (g / 2) % ${ANTHROPIC_MODELS.length}]
                   ELSE (${arrayLiteral(OPENAI_MODELS)})[1 + (g / 2) % ${OPENAI_MODELS.length}] END,
              (${arrayLiteral(CLIENTS)})[1 + (g / 3) % ${CLIENTS.length}],
              CASE WHEN (g / 50) % 2 = 0 THEN 'session-' || (g / 50) END,
              'bench/1.0', '{"source":"bench"}'::jsonb, 'centralized', 'sk-...abcd',
              now() - g * interval '2 seconds',
              CASE WHEN g % 1000 = 0 THEN NULL ELSE now() - g * interval '2 seconds' + interval '3 seconds' END,
              ${threadColumns("g")}, 200
       FROM generate_series(1, ${ROWS}) g,
            (SELECT array_agg(id ORDER BY username) AS ids, count(*)::int AS n FROM users) u;
       INSERT INTO aibridge_interceptions
         (id, initiator_id, api_key_id, provider, model, client, client_session_id, user_agent, metadata,
          credential_kind, credential_hint, started_at, ended_at, thread_parent_id, thread_root_id, status)
       SELECT ${id("-k")}, (SELECT id FROM users WHERE username = 'user0042'), 'bench-key', 'anthropic',
              'claude-sonnet-4-5', 'Claude Code', '${LONG_SESSION}', 'claude-cli/2.0', '{}'::jsonb,
              'centralized', 'sk-...abcd', now() - k * interval '3 seconds',
              now() - k * interval '3 seconds' + interval '2 seconds',
              CASE WHEN k % 5 = 4 THEN NULL ELSE ${id("-(k + 1)")} END,
              CASE WHEN k % 5 = 4 THEN NULL ELSE ${id("-(k - k % 5 + 4)")} END, 200
       FROM generate_series(0, ${LONG_THREADS * ACTIONS_PER_THREAD - 1}) k;
       ALTER TABLE aibridge_interceptions ENABLE TRIGGER aibridge_interceptions_count_insert;
       ALTER TABLE aibridge_interceptions ENABLE TRIGGER aibridge_interceptions_sessions_insert;
       ALTER TABLE aibridge_interceptions ENABLE TRIGGER aibridge_interceptions_spend_insert`,
    );
    await step(
      "count rollups",
      `SELECT aibridge_add_interception_counts(
         array_agg(initiator_id), array_agg(started_at), array_agg(provider), array_agg(model),
         array_agg(client), array_agg(1::bigint))
       FROM aibridge_interceptions WHERE ended_at IS NOT NULL`,
    );
    const zeros = Array(6).fill("array_agg(0::bigint)").join(", ");
    await step(
      "spend rollups: finished interceptions",
      `SELECT aibridge_add_spend(
         array_agg(initiator_id), array_agg(started_at), array_agg(provider), array_agg(model),
         array_agg(client), array_agg(1::bigint), ${zeros})
       FROM aibridge_interceptions WHERE ended_at IS NOT NULL`,
    );
    // The spend rollups' insert trigger adds the usage and cost of this one statement.
    await step(
      "token usages (one per interception, priced; one in 50 unpriced)",
      `INSERT INTO aibridge_token_usages
         (interception_id, provider_response_id, input_tokens, output_tokens, cache_read_input_tokens,
          cache_write_input_tokens, metadata, created_at, cost_micros, priced_model)
       SELECT id, 'resp_' || left(id::text, 8), 1200, 300, 800, 0, '{}'::jsonb, started_at + interval '1 second',
              CASE WHEN get_byte(uuid_send(id), 14) % 50 = 0 THEN NULL ELSE 3600 + 4500 + 240 END,
              CASE WHEN get_byte(uuid_send(id), 14) % 50 = 0 THEN NULL ELSE model END
       FROM aibridge_interceptions`,
    );
    await step(
      "user prompts (one per thread root)",
      `INSERT INTO aibridge_user_prompts (interception_id, provider_response_id, prompt, created_at)
       SELECT id, 'resp_' || left(id::text, 8), 'Refactor the parser and add tests for the edge cases.', started_at
       FROM aibridge_interceptions WHERE thread_root_id IS NULL`,
    );
    await step(
      "tool usages (two for every third interception, and for every action of the long session)",
      `INSERT INTO aibridge_tool_usages (interception_id, provider_response_id, tool, provider_tool_call_id, input, created_at)
       SELECT i.id, 'resp_' || left(i.id::text, 8), t.tool, 'call_' || t.tool || left(i.id::text, 8),
              '{"path":"src/a.ts"}', i.started_at + interval '2 seconds'
       FROM aibridge_interceptions i, (VALUES ('read_file'), ('write_file')) AS t(tool)
       WHERE get_byte(uuid_send(i.id), 15) % 3 = 0 OR i.client_session_id = '${LONG_SESSION}'`,
    );
    await step(
      "model thoughts (one for every fourth interception and every action of the long session)",
      `INSERT INTO aibridge_model_thoughts (interception_id, content, metadata, created_at)
       SELECT id, 'The parser fails on nested quotes; read the tokenizer first.', '{"source":"thinking"}'::jsonb,
              started_at + interval '1 second'
       FROM aibridge_interceptions
       WHERE get_byte(uuid_send(id), 14) % 4 = 0 OR client_session_id = '${LONG_SESSION}'`,
    );
    // In day-sized slices: sessions that straddle two are merged the way the trigger merges them.
    await step(
      "session rollup",
      `DO $$
       DECLARE lo timestamptz := (SELECT min(started_at) FROM aibridge_interceptions);
       BEGIN
         WHILE lo <= now() LOOP
           PERFORM aibridge_add_to_sessions(array_agg(id)) FROM aibridge_interceptions
           WHERE started_at >= lo AND started_at < lo + interval '1 day' AND ended_at IS NOT NULL;
           lo := lo + interval '1 day';
         END LOOP;
       END $$`,
    );
    await step("vacuum analyze", "VACUUM ANALYZE");
  } finally {
    await sql.end();
  }
}

/** Listing counts come from the trigger-kept rollups (drizzle/0002): both must match the table. */
async function checkRollups(): Promise<void> {
  const sql = postgres(benchUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`
      SELECT (SELECT count(*) FROM aibridge_interceptions WHERE ended_at IS NOT NULL)::text AS finished,
             (SELECT coalesce(sum(interceptions), 0) FROM aibridge_interception_counts)::text AS hourly,
             (SELECT coalesce(sum(interceptions), 0) FROM aibridge_interception_counts_by_initiator)::text
               AS by_initiator,
             (SELECT coalesce(sum(interceptions), 0) FROM aibridge_sessions)::text AS in_sessions,
             (SELECT count(*) FROM aibridge_sessions)::text AS sessions`;
    const { finished, hourly, by_initiator, in_sessions, sessions } = row!;
    if (hourly !== finished || by_initiator !== finished || in_sessions !== finished) {
      throw new Error(
        `rollups count ${hourly} (hourly), ${by_initiator} (per initiator) and ${in_sessions} (sessions), table ${finished}`,
      );
    }
    console.log(`rollups agree with the table: ${finished} finished interceptions in ${sessions} sessions`);
    const [spend] = await sql`
      SELECT (SELECT count(*) FROM aibridge_interceptions WHERE ended_at IS NOT NULL)::text AS finished,
             (SELECT coalesce(sum(cost_micros), 0) FROM aibridge_token_usages)::text AS cost,
             (SELECT sum(interceptions)::text || '/' || sum(cost_micros)::text FROM aibridge_spend_daily) AS full_key,
             (SELECT sum(interceptions)::text || '/' || sum(cost_micros)::text FROM aibridge_spend_by_user_daily) AS by_user,
             (SELECT sum(interceptions)::text || '/' || sum(cost_micros)::text FROM aibridge_spend_by_model_daily) AS by_model`;
    const expected = `${spend!.finished}/${spend!.cost}`;
    for (const rollup of ["full_key", "by_user", "by_model"] as const) {
      if (spend![rollup] !== expected)
        throw new Error(`spend rollup ${rollup}: ${spend![rollup]}, table ${expected}`);
    }
    console.log(`spend rollups agree with the tables: ${expected} (interceptions/micro-USD)`);
  } finally {
    await sql.end();
  }
}

interface Timing {
  name: string;
  path: string;
  median: number;
  p90: number;
  min: number;
  results: number;
  count: number | null;
}

async function time(name: string, base: string, path: string, key: string): Promise<Timing> {
  const once = async () => {
    const started = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { "coder-session-token": key } });
    const body = await res.text();
    const elapsed = performance.now() - started;
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${body.slice(0, 300)}`);
    const isJson = res.headers.get("content-type")?.includes("json");
    return { elapsed, body: (isJson ? JSON.parse(body) : body.trim().split("\n").slice(1)) as unknown };
  };
  for (let i = 0; i < WARMUP_RUNS; i++) await once();
  const samples: number[] = [];
  let last: unknown;
  for (let i = 0; i < RUNS; i++) {
    const { elapsed, body } = await once();
    samples.push(elapsed);
    last = body;
  }
  samples.sort((a, b) => a - b);
  const page = last as
    | { count?: number; results?: unknown[]; rows?: unknown[]; sessions?: unknown[]; threads?: unknown[] }
    | unknown[];
  return {
    name,
    path,
    median: samples[Math.floor(samples.length / 2)]!,
    p90: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.9))]!,
    min: samples[0]!,
    results: Array.isArray(page)
      ? page.length
      : (page.results ?? page.rows ?? page.sessions ?? page.threads ?? []).length,
    count: Array.isArray(page) ? null : (page.count ?? null),
  };
}

async function main(): Promise<void> {
  const existing = values.reuse ? await interceptionCount() : 0;
  if (existing >= ROWS) {
    console.log(`reusing ${DATABASE} (${existing} interceptions)`);
  } else {
    console.log(`filling ${DATABASE} with ${ROWS} interceptions`);
    await recreateDatabase();
  }

  const config = {
    ...resolveConfig(new Map(), { env: {}, isTTY: false }),
    httpAddress: "127.0.0.1:0",
    prometheusAddress: "",
    postgresUrl: benchUrl,
    retention: 0,
  };
  // In-process, so the key is at hand; requests still go over HTTP, one at a time.
  const server = await startServer(config, { logger: silentLogger, announce: () => {} });
  try {
    if (existing < ROWS) await fill();
    await checkRollups();
    const db = server.database.db;
    const admin = (await findUser(db, "admin"))!;
    const member = (await findUser(db, "user0042"))!;
    const ownerKey = (await issueApiKey(db, admin.id, { name: "bench" })).key;
    const memberKey = (await issueApiKey(db, member.id, { name: "bench" })).key;

    const sql = postgres(benchUrl, { max: 1, onnotice: () => {} });
    const [deep] = await sql`
      SELECT id FROM aibridge_interceptions WHERE ended_at IS NOT NULL
      ORDER BY started_at DESC, id DESC OFFSET ${Math.floor(ROWS * 0.9)} LIMIT 1`;
    const [week] = await sql`SELECT (now() - interval '7 days') AS t`;
    const [counted] = await sql`SELECT count(*)::int AS n FROM aibridge_sessions`;
    const sessionCount = counted!.n as number;
    const deepSessionOffset = Math.floor(sessionCount * 0.9);
    const [deepSession] = await sql`
      SELECT session_id FROM aibridge_sessions
      ORDER BY started_at DESC, session_id DESC, initiator_id DESC OFFSET ${deepSessionOffset} LIMIT 1`;
    await sql.end();
    const weekAgo = (week!.t as Date).toISOString();

    const list = "/api/v2/aibridge/interceptions";
    const spend = "/api/v2/aibridge/spend";
    // The calendar month holding most of the rows (they span the ~23 days before now).
    const monthStarts = new Date(Date.now() - 12 * 86_400_000);
    const from = new Date(Date.UTC(monthStarts.getUTCFullYear(), monthStarts.getUTCMonth(), 1));
    const to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1) - 1);
    const month = `started_after:${from.toISOString()} started_before:${to.toISOString()}`;
    const monthName = from.toISOString().slice(0, 7);
    const sessions = "/api/v2/aibridge/sessions";
    const q = (text: string) => encodeURIComponent(text);
    const cases: [string, string, string][] = [
      ["first page (owner, 100)", list, ownerKey],
      [
        "filtered page: provider + model",
        `${list}?q=${q("provider:anthropic model:claude-sonnet-4-5")}`,
        ownerKey,
      ],
      [
        "filtered page: client + started_after",
        `${list}?q=${q(`client:"Claude Code" started_after:${weekAgo}`)}`,
        ownerKey,
      ],
      ["filtered page: model", `${list}?q=${q("model:claude-sonnet-4-5")}`, ownerKey],
      ["filtered page: initiator", `${list}?q=${q("initiator:user0042")}`, ownerKey],
      ["first page (member: own rows only)", list, memberKey],
      [`deep cursor page (after row ${Math.floor(ROWS * 0.9)})`, `${list}?after_id=${deep!.id}`, ownerKey],
      ["models: prefix claude-", `/api/v2/aibridge/models?q=${q("claude-")}`, ownerKey],
      [`spend ${monthName} by user (owner)`, `${spend}?group_by=user&q=${q(month)}`, ownerKey],
      [`spend ${monthName} by model (owner)`, `${spend}?group_by=model&q=${q(month)}`, ownerKey],
      [`spend ${monthName} by day (owner)`, `${spend}?group_by=day&q=${q(month)}`, ownerKey],
      [
        `spend ${monthName} by client, one model`,
        `${spend}?group_by=client&q=${q(`${month} model:gpt-5`)}`,
        ownerKey,
      ],
      [`spend ${monthName} by model (member: own)`, `${spend}?group_by=model&q=${q(month)}`, memberKey],
      [
        "spend, last 7 days by user (partial days from rows)",
        `${spend}?group_by=user&q=${q(`started_after:${weekAgo}`)}`,
        ownerKey,
      ],
      ["spend export: current month by user (CSV)", `${spend}/export?group_by=user`, ownerKey],
      ["sessions: first page (owner, 50)", `${sessions}?limit=50`, ownerKey],
      ["sessions: filtered by user", `${sessions}?limit=50&q=${q("initiator:user0042")}`, ownerKey],
      ["sessions: member's own", `${sessions}?limit=50`, memberKey],
      ["sessions: filtered by model", `${sessions}?limit=50&q=${q("model:gpt-4o")}`, ownerKey],
      [
        `sessions: deep cursor page (after session ${deepSessionOffset})`,
        `${sessions}?limit=50&after_session_id=${q(deepSession!.session_id)}`,
        ownerKey,
      ],
      [
        `session detail: first page (50 of ${LONG_THREADS} threads × ${ACTIONS_PER_THREAD} actions)`,
        `${sessions}/${LONG_SESSION}`,
        ownerKey,
      ],
      [
        `session detail: all ${LONG_THREADS} threads × ${ACTIONS_PER_THREAD} actions in one page`,
        `${sessions}/${LONG_SESSION}?limit=${LONG_THREADS}`,
        ownerKey,
      ],
      ["clients", "/api/v2/aibridge/clients", ownerKey],
    ];

    const loadBefore = loadavg()[0]!.toFixed(2);
    const timings: Timing[] = [];
    for (const [name, path, key] of cases) timings.push(await time(name, server.url, path, key));

    console.log(`\n${ROWS} interceptions, median of ${RUNS} runs after ${WARMUP_RUNS} warm-up runs`);
    // Anything else running on the machine skews these numbers; the load average says how much.
    console.log(`load average (1 min): ${loadBefore} before, ${loadavg()[0]!.toFixed(2)} after\n`);
    console.log("| request | median ms | p90 ms | min ms | results | count | < 50 ms |");
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | :---: |");
    for (const t of timings) {
      const cells = [t.median, t.p90, t.min].map((n) => n.toFixed(1));
      const ok = t.median < TARGET_MS ? "yes" : "**no**";
      console.log(`| ${t.name} | ${cells.join(" | ")} | ${t.results} | ${t.count ?? "–"} | ${ok} |`);
    }
    const misses = timings.filter((t) => t.median >= TARGET_MS);
    if (misses.length) process.exitCode = 1;
  } finally {
    await server.shutdown();
  }
}

await main();
