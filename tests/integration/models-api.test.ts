import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import { eq, sql } from "drizzle-orm";

import type { Db } from "../../src/db/engine";
import { interceptions } from "../../src/db/schema";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { api, createUserWithKey } from "../helpers/http";
import { interceptionFixture } from "../helpers/interceptions";
import { captureStatements, explain } from "../helpers/plans";

let gw: TestGateway;
let db: Db;
let alice: { id: string; key: string };
let bob: { id: string; key: string };
let auditorKey = "";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const T0 = Date.parse("2025-03-01T12:00:00.000Z");

const makeUser = (username: string, role: string) => createUserWithKey(gw.url, gw.adminKey, username, role);

function row(initiatorId: string, model: string, ended = true) {
  return interceptionFixture({
    initiatorId,
    model,
    startedAt: new Date(T0),
    ...(ended ? {} : { endedAt: null }),
  });
}

function models(key: string | undefined, params: Record<string, string> = {}) {
  return api(gw.url, `/api/v2/aibridge/models?${new URLSearchParams(params)}`, { key });
}

async function names(key: string, params: Record<string, string> = {}): Promise<string[]> {
  const res = await models(key, params);
  expect(res.status).toBe(200);
  return res.json;
}

// Wildcard characters, a backslash, mixed case and non-ASCII, to pin LIKE escaping and byte order.
const ALICE_MODELS = [
  "50%-off",
  "50x-off",
  "a_b",
  "aXb",
  "back\\slash",
  "backXslash",
  "Claude",
  "claude-3",
  "éclair",
];
const BOB_MODELS = ["gpt-4o", "gpt-4o", "claude-3", "zeta"];

beforeAll(async () => {
  gw = await startTestGateway({ retention: 0 });
  db = gw.server.database.db;
  alice = await makeUser("alice", "member");
  bob = await makeUser("bob", "member");
  auditorKey = (await makeUser("audrey", "auditor")).key;
  await db
    .insert(interceptions)
    .values([
      ...ALICE_MODELS.map((m) => row(alice.id, m)),
      ...BOB_MODELS.map((m) => row(bob.id, m)),
      row(bob.id, "in-flight-only", false),
    ]);
});
afterAll(() => gw.stop());

const allModels = [...new Set([...ALICE_MODELS, ...BOB_MODELS])].sort((x, y) =>
  Buffer.compare(Buffer.from(x), Buffer.from(y)),
);

describe("models", () => {
  test("distinct names in byte order, in-flight interceptions excluded", async () => {
    const all = await names(gw.adminKey);
    expect(all).toEqual(allModels);
    expect(all[0]).toBe("50%-off");
    expect(all.indexOf("Claude")).toBeLessThan(all.indexOf("a_b"));
    expect(all.at(-1)).toBe("éclair");
    expect(all).not.toContain("in-flight-only");
  });

  test("a bare term or model: is a case-sensitive prefix", async () => {
    expect(await names(gw.adminKey, { q: "claude" })).toEqual(["claude-3"]);
    expect(await names(gw.adminKey, { q: "Claude" })).toEqual(["Claude"]);
    expect(await names(gw.adminKey, { q: "model:gpt" })).toEqual(["gpt-4o"]);
    expect(await names(gw.adminKey, { q: "MODEL:gpt-4o" })).toEqual(["gpt-4o"]);
    expect(await names(gw.adminKey, { q: "nothing-like-this" })).toEqual([]);
    expect(await names(gw.adminKey, { q: "éc" })).toEqual(["éclair"]);
  });

  test("%, _ and \\ in the prefix match only themselves", async () => {
    expect(await names(gw.adminKey, { q: "50%" })).toEqual(["50%-off"]);
    expect(await names(gw.adminKey, { q: "%" })).toEqual([]);
    expect(await names(gw.adminKey, { q: "a_" })).toEqual(["a_b"]);
    expect(await names(gw.adminKey, { q: "_" })).toEqual([]);
    expect(await names(gw.adminKey, { q: "back\\" })).toEqual(["back\\slash"]);
    expect(await names(gw.adminKey, { q: 'model:"back\\s"' })).toEqual(["back\\slash"]);
  });

  test("any other key is a 400", async () => {
    const res = await models(gw.adminKey, { q: "provider:openai" });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      message: "Invalid AI Bridge models search query.",
      validations: [{ field: "provider", detail: expect.any(String) }],
    });
  });

  test("limit and offset page the list; after_id is not a models parameter", async () => {
    expect(await names(gw.adminKey, { limit: "3" })).toEqual(allModels.slice(0, 3));
    expect(await names(gw.adminKey, { limit: "3", offset: "3" })).toEqual(allModels.slice(3, 6));
    expect(await names(gw.adminKey, { limit: "0" })).toEqual(allModels);
    const bad = await models(gw.adminKey, { limit: "1001" });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe("Query parameters have invalid values.");
    expect(bad.json.validations[0].field).toBe("limit");
    expect((await models(gw.adminKey, { offset: "x" })).status).toBe(400);
  });

  test("authorization: owner and auditor see every model, members their own", async () => {
    expect((await models(undefined)).status).toBe(401);
    expect(await names(auditorKey)).toEqual(allModels);
    expect(await names(alice.key)).toEqual(
      [...new Set(ALICE_MODELS)].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
    );
    expect(await names(bob.key)).toEqual(["claude-3", "gpt-4o", "zeta"]);
    expect(await names(bob.key, { q: "claude" })).toEqual(["claude-3"]);
    expect(await names(bob.key, { q: "a" })).toEqual([]);
    // Pages of a member's own, walking past the others' values (the walk stops once a page is full).
    expect(await names(bob.key, { limit: "1" })).toEqual(["claude-3"]);
    expect(await names(bob.key, { limit: "1", offset: "1" })).toEqual(["gpt-4o"]);
    expect(await names(bob.key, { limit: "2", offset: "1" })).toEqual(["gpt-4o", "zeta"]);
    expect(await names(bob.key, { limit: "1", offset: "3" })).toEqual([]);
  });

  test("a member sees a model once their interception with it finishes, and no more once it is deleted", async () => {
    // Bob's finished row keeps "late-model" in the table throughout, so only Alice's own rows decide.
    const alices = row(alice.id, "late-model", false);
    const bobs = row(bob.id, "late-model");
    await db.insert(interceptions).values([alices, bobs]);
    expect(await names(alice.key, { q: "late" })).toEqual([]);
    expect(await names(gw.adminKey, { q: "late" })).toEqual(["late-model"]);

    await db
      .update(interceptions)
      .set({ endedAt: new Date(T0 + 1000) })
      .where(eq(interceptions.id, alices.id));
    expect(await names(alice.key, { q: "late" })).toEqual(["late-model"]);

    await db.delete(interceptions).where(eq(interceptions.id, alices.id));
    expect(await names(alice.key, { q: "late" })).toEqual([]);
    expect(await names(bob.key, { q: "late" })).toEqual(["late-model"]);

    await db.delete(interceptions).where(eq(interceptions.id, bobs.id));
    expect(await names(gw.adminKey, { q: "late" })).toEqual([]);
  });
});

describe("the prefix query on a large table", () => {
  test("uses the model text_pattern_ops index, never a sequential scan of the interceptions", async () => {
    const total = 50_000;
    // 500 distinct models; only a handful start with the probe prefix. The spend and session
    // rollups' triggers for rows inserted already finished are off during the fill: the recorder
    // never inserts such rows, and this listing reads neither rollup.
    const rollupTriggers = ["aibridge_interceptions_spend_insert", "aibridge_interceptions_sessions_insert"];
    for (const name of rollupTriggers)
      await db.execute(sql.raw(`ALTER TABLE aibridge_interceptions DISABLE TRIGGER ${name}`));
    await db.execute(sql`
      INSERT INTO aibridge_interceptions
        (id, initiator_id, api_key_id, provider, model, client, credential_kind, credential_hint, started_at, ended_at)
      SELECT gen_random_uuid(), ${bob.id}::uuid, 'bulk', 'openai', 'bulk-model-' || (g % 500), 'Unknown',
             'centralized', '', now() - g * interval '1 second', now() - g * interval '1 second' + interval '1 second'
      FROM generate_series(1, ${total}) AS g`);
    for (const name of rollupTriggers)
      await db.execute(sql.raw(`ALTER TABLE aibridge_interceptions ENABLE TRIGGER ${name}`));
    await db.execute(sql`ANALYZE aibridge_interceptions`);

    for (const [key, q] of [
      [gw.adminKey, "bulk-model-42"],
      [bob.key, "bulk-model-42"],
      [gw.adminKey, "claude"],
    ] as const) {
      let body: unknown;
      const statements = await captureStatements(gw, async () => {
        body = (await models(key, { q })).json;
      });
      if (q === "bulk-model-42")
        expect(body).toEqual(["bulk-model-42", ...range(10).map((d) => `bulk-model-42${d}`)]);
      const modelsQuery = statements.find((s) => /\blike\b/i.test(s.text));
      expect(modelsQuery).toBeDefined();
      const plan = await explain(gw, modelsQuery!.text, modelsQuery!.params);
      expect(plan).toContain("aibridge_interceptions_model_pattern_idx");
      expect(plan).not.toMatch(/Seq Scan on aibridge_interceptions/);
    }
  }, 120_000);
});
