// The indexes SPEC §14's queries need, checked by EXPLAIN over 50 000 interceptions: the sessions
// list and count come from the session rollup, the detail and thread resolution from their
// indexes; none scans the interceptions (or tool usages) sequentially.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import { sql } from "drizzle-orm";

import type { Db } from "../../src/db/engine";
import { emptyBatch } from "../../src/recorder/records";
import { writeBatch } from "../../src/recorder/write-batch";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { api, createUserWithKey } from "../helpers/http";
import { captureStatements, explain } from "../helpers/plans";

const TOTAL = 50_000;
const INSERT_TRIGGERS = [
  "aibridge_interceptions_sessions_insert",
  "aibridge_interceptions_count_insert",
  "aibridge_interceptions_spend_insert",
];
let gw: TestGateway;
let db: Db;
let member: { id: string; key: string };

beforeAll(async () => {
  gw = await startTestGateway({ retention: 0 });
  db = gw.server.database.db;
  member = await createUserWithKey(gw.url, gw.adminKey, "mia", "member");
  const admin = (await api(gw.url, "/api/v2/users/me", { key: gw.adminKey })).json.id as string;
  // Threads of 5 (the oldest, g % 5 = 4, is the root), sessions of 50 for every other run.
  const id = (g: string) => sql.raw(`md5('plan-' || (${g}))::uuid`);
  // Only the session rollup matters here: it is built in one statement below, as the migration
  // does; the other rollups' per-row insert triggers would only slow the fill down.
  const setTriggers = async (action: "ENABLE" | "DISABLE") => {
    for (const name of INSERT_TRIGGERS) {
      await db.execute(sql.raw(`ALTER TABLE aibridge_interceptions ${action} TRIGGER ${name}`));
    }
  };
  await setTriggers("DISABLE");
  await db.execute(sql`
    INSERT INTO aibridge_interceptions
      (id, initiator_id, api_key_id, provider, model, client, client_session_id, credential_kind,
       credential_hint, started_at, ended_at, thread_parent_id, thread_root_id, status)
    SELECT ${id("g")}, CASE WHEN (g / 50) % 3 = 0 THEN ${member.id}::uuid ELSE ${admin}::uuid END, 'bulk',
           CASE WHEN g % 2 = 0 THEN 'anthropic' ELSE 'openai' END, 'plan-model-' || (g % 50),
           'client-' || (g % 7), CASE WHEN (g / 50) % 2 = 0 THEN 'plan-session-' || (g / 50) END,
           'centralized', '', now() - g * interval '1 second', now() - g * interval '1 second' + interval '1 second',
           CASE WHEN g % 5 = 4 THEN NULL ELSE ${id("g + 1")} END,
           CASE WHEN g % 5 = 4 THEN NULL ELSE ${id("g - g % 5 + 4")} END, 200
    FROM generate_series(1, ${TOTAL}) AS g`);
  await setTriggers("ENABLE");
  await db.execute(sql`
    INSERT INTO aibridge_tool_usages (interception_id, tool, provider_tool_call_id, input, created_at)
    SELECT id, 'Read', 'toolu_' || md5(id::text), '{}', started_at FROM aibridge_interceptions`);
  await db.execute(
    sql`SELECT aibridge_add_to_sessions(array_agg(id)) FROM aibridge_interceptions WHERE ended_at IS NOT NULL`,
  );
  await db.execute(sql`ANALYZE`);
}, 300_000);
afterAll(() => gw.stop());

/** The plans of every statement one API call sends. */
async function plansOf(path: string, key = gw.adminKey): Promise<string[]> {
  const statements = await captureStatements(gw, async () => {
    const res = await api(gw.url, path, { key });
    expect(res.status).toBe(200);
  });
  // On PGlite one client runs everything: the instance heartbeat and crash sweep may land in the
  // capture, and are not the call's (the sweep's own plan is checked in crash-sweep.test.ts).
  const selects = statements.filter(
    (s) => /^\s*(select|with)/i.test(s.text) && !/aibridge_instances|clock_timestamp/.test(s.text),
  );
  expect(selects.length).toBeGreaterThan(0);
  return Promise.all(selects.map((s) => explain(gw, s.text, s.params)));
}

const noSeqScan = (plans: string[]) => {
  for (const plan of plans) expect(plan).not.toMatch(/Seq Scan on aibridge_(interceptions|tool_usages)\b/);
};

describe("plans over 50 000 interceptions", () => {
  test("sessions list: the rollup's started_at index (owner) and initiator index (member)", async () => {
    const owner = await plansOf("/api/v2/aibridge/sessions?limit=50");
    expect(owner.join("\n")).toContain("aibridge_sessions_started_at_idx");
    noSeqScan(owner);
    const mine = await plansOf("/api/v2/aibridge/sessions?limit=50", member.key);
    expect(mine.join("\n")).toContain("aibridge_sessions_initiator_started_at_idx");
    noSeqScan(mine);
    noSeqScan(await plansOf("/api/v2/aibridge/sessions?limit=50&q=model:plan-model-7"));
  }, 60_000);

  test("session detail: the interceptions' session index", async () => {
    const plans = await plansOf("/api/v2/aibridge/sessions/plan-session-2?limit=200");
    expect(plans.join("\n")).toContain("aibridge_interceptions_session_idx");
    noSeqScan(plans);
  }, 60_000);

  test("clients: the client text_pattern_ops index", async () => {
    const plans = await plansOf("/api/v2/aibridge/clients?q=client-");
    expect(plans.join("\n")).toContain("aibridge_interceptions_client_pattern_idx");
    noSeqScan(plans);
  }, 60_000);

  test("thread resolution in the batched end write: the tool usages' call id index", async () => {
    // The batch goes through its own connection on PostgreSQL: capture it where it is sent.
    const database = gw.server.database;
    const statements: { text: string; params: unknown[] }[] = [];
    const send = database.runReplanned;
    database.runReplanned = (text, params) => {
      statements.push({ text, params });
      return send.call(database, text, params);
    };
    try {
      await writeBatch(database, {
        ...emptyBatch(),
        ends: [
          {
            id: crypto.randomUUID(),
            endedAt: new Date(),
            status: 200,
            errorType: null,
            errorMessage: null,
            initiatorId: member.id,
            correlationToolCallId: "toolu_probe",
          },
        ],
      });
    } finally {
      database.runReplanned = send;
    }
    const batch = statements.find((s) => /aibridge_tool_usages/.test(s.text) && /UPDATE/.test(s.text));
    expect(batch).toBeDefined();
    const plan = await explain(gw, batch!.text, batch!.params);
    expect(plan).toContain("aibridge_tool_usages_call_id_idx");
    noSeqScan([plan]);
  }, 60_000);
});
