import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import type { Db } from "../../src/db/engine";
import { interceptions, tokenUsages, toolUsages, userPrompts } from "../../src/db/schema";
import { countStatements } from "../helpers/database";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { api, createUserWithKey } from "../helpers/http";

type Who = "admin" | "alice" | "bob";

interface Fixture {
  id: string;
  who: Who;
  provider: string;
  model: string;
  client: string;
  startedAt: Date;
  ended: boolean;
}

const T0 = Date.parse("2025-03-01T12:00:00.000Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function fixture(
  who: Who,
  provider: string,
  model: string,
  client: string,
  minute: number,
  ended = true,
): Fixture {
  return { id: crypto.randomUUID(), who, provider, model, client, startedAt: at(minute), ended };
}

// a5/a6 share a start time so the id tie-break is exercised; a7 and b5 are still in flight.
const F = {
  o1: fixture("admin", "openai", "gpt-4.1", "Unknown", 0),
  a1: fixture("alice", "openai", "gpt-4o", "Codex", 1),
  a2: fixture("alice", "anthropic", "claude-sonnet-4", "Claude Code", 2),
  a3: fixture("alice", "anthropic", "claude-sonnet-4", "Claude Code", 3),
  b1: fixture("bob", "anthropic", "claude-sonnet-4", "Claude Code", 4),
  a4: fixture("alice", "openai", "gpt-4o-mini", "Unknown", 5),
  b2: fixture("bob", "openai", "gpt-4o", "Codex", 6),
  b3: fixture("bob", "openai", "gpt-4o", "Zed", 7),
  a5: fixture("alice", "anthropic", "claude-opus-4", "Cursor", 8),
  a6: fixture("alice", "openai", "gpt-4o", "Codex", 8),
  a7: fixture("alice", "openai", "gpt-4o", "Codex", 9, false),
  b4: fixture("bob", "anthropic", "claude-haiku", "Cursor", 10),
  b5: fixture("bob", "anthropic", "claude-haiku", "Cursor", 11, false),
  o2: fixture("admin", "anthropic", "claude-opus-4", "Claude Code", 12),
};
const ALL = Object.values(F);

/** What the API must answer: ended rows matching `keep`, newest first, ties by id descending. */
function expected(keep: (f: Fixture) => boolean): string[] {
  return ALL.filter((f) => f.ended && keep(f))
    .sort((x, y) => y.startedAt.getTime() - x.startedAt.getTime() || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0))
    .map((f) => f.id);
}

let gw: TestGateway;
let db: Db;
const users: Record<Who, { id: string; key: string }> = {
  admin: { id: "", key: "" },
  alice: { id: "", key: "" },
  bob: { id: "", key: "" },
};
let auditorKey = "";

const makeUser = (username: string, role: string) => createUserWithKey(gw.url, gw.adminKey, username, role);

function list(key: string | undefined, params: Record<string, string> = {}) {
  return api(gw.url, `/api/v2/aibridge/interceptions?${new URLSearchParams(params)}`, { key });
}

async function ids(key: string, params: Record<string, string> = {}): Promise<string[]> {
  const res = await list(key, params);
  expect(res.status).toBe(200);
  return res.json.results.map((r: { id: string }) => r.id);
}

function interceptionRow(f: Fixture, initiatorId: string) {
  return {
    id: f.id,
    initiatorId,
    apiKeyId: `key-${f.who}`,
    provider: f.provider,
    model: f.model,
    client: f.client,
    clientSessionId: f === F.a2 ? "session-a2" : null,
    userAgent: "fixture",
    metadata: f === F.a2 ? { tenant: "x", nested: { n: 1 } } : {},
    credentialKind: "centralized" as const,
    credentialHint: "sk-...abcd",
    startedAt: f.startedAt,
    endedAt: f.ended ? new Date(f.startedAt.getTime() + 30_000) : null,
  };
}

beforeAll(async () => {
  gw = await startTestGateway({ retention: 0 });
  db = gw.server.database.db;
  const me = await api(gw.url, "/api/v2/users/me", { key: gw.adminKey });
  users.admin = { id: me.json.id, key: gw.adminKey };
  users.alice = await makeUser("alice", "member");
  users.bob = await makeUser("bob", "member");
  auditorKey = (await makeUser("audrey", "auditor")).key;

  await db.insert(interceptions).values(ALL.map((f) => interceptionRow(f, users[f.who].id)));
  // Children of a2, inserted out of created_at order to check the sort.
  const a2 = F.a2.startedAt.getTime();
  await db.insert(tokenUsages).values([
    {
      interceptionId: F.a2.id,
      providerResponseId: "msg_2",
      inputTokens: 7,
      outputTokens: 3,
      cacheReadInputTokens: 100,
      cacheWriteInputTokens: 5,
      metadata: { web_search_requests: 1 },
      createdAt: new Date(a2 + 2000),
    },
    {
      interceptionId: F.a2.id,
      providerResponseId: "msg_1",
      inputTokens: null,
      outputTokens: null,
      cacheReadInputTokens: null,
      cacheWriteInputTokens: null,
      createdAt: new Date(a2 + 1000),
    },
  ]);
  await db.insert(userPrompts).values({
    interceptionId: F.a2.id,
    providerResponseId: "msg_1",
    prompt: "fix the bug",
    createdAt: new Date(a2 + 500),
  });
  await db.insert(toolUsages).values([
    {
      interceptionId: F.a2.id,
      providerResponseId: "msg_2",
      tool: "write_file",
      providerToolCallId: "toolu_2",
      input: '{"path":"b"}',
      createdAt: new Date(a2 + 2000),
    },
    {
      interceptionId: F.a2.id,
      providerResponseId: "msg_1",
      tool: "read_file",
      providerToolCallId: "toolu_1",
      input: '{"path":"a"}',
      createdAt: new Date(a2 + 1000),
    },
  ]);
});
afterAll(() => gw.stop());

describe("listing", () => {
  test("only ended interceptions, newest first with the id as tie-break, count of all matching", async () => {
    const res = await list(gw.adminKey);
    expect(res.status).toBe(200);
    expect(res.json.count).toBe(12);
    expect(res.json.results.map((r: { id: string }) => r.id)).toEqual(expected(() => true));
    expect(res.json.results.map((r: { id: string }) => r.id)).not.toContain(F.a7.id);
    expect(res.json.results.map((r: { id: string }) => r.id)).not.toContain(F.b5.id);
  });

  test("the Interception shape: initiator joined, children always arrays, RFC 3339 timestamps", async () => {
    const res = await list(gw.adminKey);
    const byId = new Map(res.json.results.map((r: { id: string }) => [r.id, r]));
    // biome-ignore lint/suspicious/noExplicitAny: JSON from the API
    const a2 = byId.get(F.a2.id) as any;
    expect(Object.keys(a2).sort()).toEqual(
      [
        "api_key_id",
        "client",
        "client_session_id",
        "cost_micros",
        "credential_hint",
        "credential_kind",
        "ended_at",
        "id",
        "initiator",
        "metadata",
        "model",
        "provider",
        "started_at",
        "thread_parent_id",
        "thread_root_id",
        "session_id",
        "status",
        "error_type",
        "error_message",
        "token_usages",
        "tool_usages",
        "user_prompts",
        "model_thoughts",
      ].sort(),
    );
    expect(a2).toMatchObject({
      api_key_id: "key-alice",
      initiator: { id: users.alice.id, username: "alice", name: "", avatar_url: "" },
      provider: "anthropic",
      model: "claude-sonnet-4",
      client: "Claude Code",
      client_session_id: "session-a2",
      metadata: { tenant: "x", nested: { n: 1 } },
      credential_kind: "centralized",
      credential_hint: "sk-...abcd",
      started_at: F.a2.startedAt.toISOString(),
      ended_at: new Date(F.a2.startedAt.getTime() + 30_000).toISOString(),
    });
    expect(Object.keys(a2.initiator).sort()).toEqual(["avatar_url", "id", "name", "username"]);
    expect(a2.token_usages.map((u: { provider_response_id: string }) => u.provider_response_id)).toEqual([
      "msg_1",
      "msg_2",
    ]);
    expect(a2.token_usages[0]).toMatchObject({
      interception_id: F.a2.id,
      input_tokens: null,
      output_tokens: null,
      cache_read_input_tokens: null,
      cache_write_input_tokens: null,
      metadata: {},
    });
    expect(a2.token_usages[1]).toMatchObject({
      input_tokens: 7,
      output_tokens: 3,
      cache_read_input_tokens: 100,
      cache_write_input_tokens: 5,
      metadata: { web_search_requests: 1 },
    });
    expect(Object.keys(a2.token_usages[0]).sort()).toEqual(
      [
        "cache_read_input_tokens",
        "cache_write_input_tokens",
        "cost_micros",
        "created_at",
        "id",
        "input_tokens",
        "interception_id",
        "metadata",
        "output_tokens",
        "priced_model",
        "prices",
        "provider_response_id",
      ].sort(),
    );
    expect(a2.user_prompts).toEqual([
      {
        id: expect.any(String),
        interception_id: F.a2.id,
        provider_response_id: "msg_1",
        prompt: "fix the bug",
        metadata: {},
        created_at: new Date(F.a2.startedAt.getTime() + 500).toISOString(),
      },
    ]);
    expect(a2.tool_usages.map((u: { tool: string }) => u.tool)).toEqual(["read_file", "write_file"]);
    expect(a2.tool_usages[0]).toEqual({
      id: expect.any(String),
      interception_id: F.a2.id,
      provider_response_id: "msg_1",
      provider_tool_call_id: "toolu_1",
      server_url: null,
      tool: "read_file",
      input: '{"path":"a"}',
      injected: false,
      invocation_error: null,
      metadata: {},
      created_at: new Date(F.a2.startedAt.getTime() + 1000).toISOString(),
    });

    for (const r of res.json.results) {
      for (const key of ["token_usages", "user_prompts", "tool_usages"])
        expect(Array.isArray(r[key])).toBe(true);
      expect(r.started_at).toMatch(RFC3339);
      expect(r.ended_at).toMatch(RFC3339);
      for (const child of [...r.token_usages, ...r.user_prompts, ...r.tool_usages]) {
        expect(child.created_at).toMatch(RFC3339);
      }
    }
    // biome-ignore lint/suspicious/noExplicitAny: JSON from the API
    expect((byId.get(F.o1.id) as any).token_usages).toEqual([]);
  });
});

describe("filters", () => {
  const cases: [string, string, (f: Fixture) => boolean][] = [
    ["initiator by username", "initiator:alice", (f) => f.who === "alice"],
    ["a bare term is the initiator", "bob", (f) => f.who === "bob"],
    ["initiator keys are case-insensitive", "INITIATOR:bob", (f) => f.who === "bob"],
    ["provider", "provider:anthropic", (f) => f.provider === "anthropic"],
    ["model", "model:gpt-4o", (f) => f.model === "gpt-4o"],
    ["client with a quoted space", 'client:"Claude Code"', (f) => f.client === "Claude Code"],
    [
      "started_after is inclusive",
      `started_after:${at(8).toISOString()}`,
      (f) => f.startedAt.getTime() >= at(8).getTime(),
    ],
    [
      "started_before is inclusive",
      `started_before:${at(3).toISOString()}`,
      (f) => f.startedAt.getTime() <= at(3).getTime(),
    ],
    [
      "a time range with a zone offset",
      "started_after:2025-03-01T13:02:00+01:00 started_before:2025-03-01T12:07:00Z",
      (f) => f.startedAt.getTime() >= at(2).getTime() && f.startedAt.getTime() <= at(7).getTime(),
    ],
    [
      "combined",
      "initiator:alice provider:openai model:gpt-4o client:Codex",
      (f) => f.who === "alice" && f.provider === "openai" && f.model === "gpt-4o" && f.client === "Codex",
    ],
    ["no match", "provider:openai model:claude-opus-4", () => false],
  ];
  for (const [name, q, keep] of cases) {
    test(name, async () => {
      const res = await list(gw.adminKey, { q });
      expect(res.status).toBe(200);
      expect(res.json.results.map((r: { id: string }) => r.id)).toEqual(expected(keep));
      expect(res.json.count).toBe(expected(keep).length);
    });
  }

  test("initiator by id and initiator:me", async () => {
    expect(await ids(gw.adminKey, { q: `initiator:${users.bob.id}` })).toEqual(
      expected((f) => f.who === "bob"),
    );
    expect(await ids(gw.adminKey, { q: `initiator:${users.bob.id.toUpperCase()}` })).toEqual(
      expected((f) => f.who === "bob"),
    );
    expect(await ids(users.alice.key, { q: "initiator:me" })).toEqual(expected((f) => f.who === "alice"));
    expect(await ids(gw.adminKey, { q: "initiator:me" })).toEqual(expected((f) => f.who === "admin"));
  });

  test("an unknown key and a bad time are one 400 listing every problem", async () => {
    const res = await list(gw.adminKey, { q: "colour:red started_after:yesterday" });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      message: "Invalid AI Bridge interceptions search query.",
      validations: [
        { field: "colour", detail: expect.any(String) },
        { field: "started_after", detail: expect.any(String) },
      ],
    });
  });

  test("an unknown username is a validation error, not an empty page", async () => {
    const res = await list(gw.adminKey, { q: "initiator:nobody" });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      message: "Invalid AI Bridge interceptions search query.",
      validations: [{ field: "initiator", detail: expect.stringContaining("nobody") }],
    });
  });

  test("started_before not after started_after is a 400", async () => {
    const t = at(5).toISOString();
    const res = await list(gw.adminKey, { q: `started_after:${t} started_before:${t}` });
    expect(res.status).toBe(400);
    expect(res.json.validations[0].field).toBe("started_before");
  });

  test("a time PostgreSQL cannot store is a 400, not a 500", async () => {
    const res = await list(gw.adminKey, { q: "started_after:0000-01-01T00:00:00+01:00" });
    expect(res.status).toBe(400);
    expect(res.json.validations).toEqual([{ field: "started_after", detail: expect.any(String) }]);
  });
});

describe("pagination", () => {
  const everything = () => expected(() => true);

  test("limit and offset slice the order; count ignores them", async () => {
    const page = await list(gw.adminKey, { limit: "5", offset: "4" });
    expect(page.json.results.map((r: { id: string }) => r.id)).toEqual(everything().slice(4, 9));
    expect(page.json.count).toBe(12);
    const beyond = await list(gw.adminKey, { limit: "5", offset: "50" });
    expect(beyond.json).toEqual({ count: 12, results: [] });
  });

  test("limit absent or 0 means 100; out of 1..1000 is a 400", async () => {
    expect(await ids(gw.adminKey, { limit: "0" })).toEqual(everything());
    expect(await ids(gw.adminKey, { limit: "1000" })).toEqual(everything());
    for (const limit of ["1001", "-1", "abc", "1.5"]) {
      const res = await list(gw.adminKey, { limit });
      expect(res.status).toBe(400);
      expect(res.json.message).toBe("Query parameters have invalid values.");
      expect(res.json.validations[0].field).toBe("limit");
    }
    expect((await list(gw.adminKey, { offset: "-1" })).status).toBe(400);
  });

  test("after_id walks the whole list page by page, filters and count included", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const params: Record<string, string> = { limit: "5" };
      if (cursor) params.after_id = cursor;
      const res = await list(gw.adminKey, params);
      expect(res.status).toBe(200);
      expect(res.json.count).toBe(12);
      const page: string[] = res.json.results.map((r: { id: string }) => r.id);
      if (page.length === 0) break;
      seen.push(...page);
      cursor = page[page.length - 1]!;
    }
    expect(seen).toEqual(everything());

    const alice = expected((f) => f.who === "alice");
    const afterTie = await list(gw.adminKey, { q: "initiator:alice", after_id: alice[0]!, limit: "2" });
    expect(afterTie.json.results.map((r: { id: string }) => r.id)).toEqual(alice.slice(1, 3));
    expect(afterTie.json.count).toBe(alice.length);
    // offset=0 is no offset, so it may accompany a cursor.
    expect((await list(gw.adminKey, { after_id: alice[0]!, offset: "0" })).status).toBe(200);
  });

  test("after_id with a non-zero offset is the SPEC's 400", async () => {
    const res = await list(gw.adminKey, { after_id: F.a1.id, offset: "3" });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      message: "Query parameters have invalid values.",
      detail: "Cannot use both after_id and offset pagination in the same request.",
    });
  });

  test("an unknown, unfinished or unreadable after_id is a 400", async () => {
    for (const [key, afterId] of [
      [gw.adminKey, crypto.randomUUID()],
      [gw.adminKey, F.a7.id],
      [users.alice.key, F.b1.id],
      [gw.adminKey, "not-a-uuid"],
    ] as const) {
      const res = await list(key, { after_id: afterId });
      expect(res.status).toBe(400);
      expect(res.json.message).toBe("Query parameters have invalid values.");
      expect(res.json.validations).toEqual([{ field: "after_id", detail: expect.any(String) }]);
    }
  });
});

describe("authorization", () => {
  test("no or a bad key is 401", async () => {
    expect((await list(undefined)).status).toBe(401);
    expect((await list("nonsense")).status).toBe(401);
  });

  test("owner and auditor see every interception; each member only their own, in count too", async () => {
    const cases: [string, string, (f: Fixture) => boolean][] = [
      ["owner", gw.adminKey, () => true],
      ["auditor", auditorKey, () => true],
      ["alice", users.alice.key, (f) => f.who === "alice"],
      ["bob", users.bob.key, (f) => f.who === "bob"],
    ];
    for (const [, key, keep] of cases) {
      const res = await list(key, { limit: "3" });
      expect(res.status).toBe(200);
      expect(res.json.count).toBe(expected(keep).length);
      expect(res.json.results.map((r: { id: string }) => r.id)).toEqual(expected(keep).slice(0, 3));
    }
  });

  test("a member's filters never widen what they read", async () => {
    const res = await list(users.alice.key, { q: "initiator:bob" });
    expect(res.json).toEqual({ count: 0, results: [] });
    const provider = await list(users.bob.key, { q: "provider:anthropic" });
    expect(provider.json.count).toBe(expected((f) => f.who === "bob" && f.provider === "anthropic").length);
    expect(await ids(users.bob.key, { q: "provider:anthropic" })).toEqual(
      expected((f) => f.who === "bob" && f.provider === "anthropic"),
    );
  });
});

describe("no N+1", () => {
  beforeAll(async () => {
    const base = Date.parse("2024-06-01T00:00:00Z");
    const bulk = Array.from({ length: 150 }, (_, i) => ({
      ...interceptionRow(fixture("admin", "bulk", "bulk-model", "Unknown", 0), users.admin.id),
      startedAt: new Date(base + i * 1000),
      endedAt: new Date(base + i * 1000 + 500),
    }));
    await db.insert(interceptions).values(bulk);
    const created = (i: number) => new Date(base + i * 1000 + 100);
    await db.insert(tokenUsages).values(
      bulk.map((b, i) => ({
        interceptionId: b.id,
        inputTokens: i,
        outputTokens: 1,
        createdAt: created(i),
      })),
    );
    await db
      .insert(userPrompts)
      .values(bulk.map((b, i) => ({ interceptionId: b.id, prompt: `prompt ${i}`, createdAt: created(i) })));
    await db.insert(toolUsages).values(
      bulk.flatMap((b, i) => [
        { interceptionId: b.id, tool: "a", input: "{}", createdAt: created(i) },
        { interceptionId: b.id, tool: "b", input: "{}", createdAt: created(i) },
      ]),
    );
  });

  test("a page costs the list, the count and one query per child table, whatever its size", async () => {
    // The budgets' and prices' periodic refreshes use the same client: not the page's statements.
    gw.server.budgets.stop();
    gw.server.prices.stop();
    await list(gw.adminKey); // the key is in the identity pool from here on
    const costOf = async (params: Record<string, string>) => {
      const spy = countStatements(gw.server.database);
      try {
        const res = await list(gw.adminKey, params);
        expect(res.status).toBe(200);
        return { n: spy.statements.length, json: res.json };
      } finally {
        spy.restore();
      }
    };

    const full = await costOf({ q: "provider:bulk", limit: "100" });
    expect(full.json.count).toBe(150);
    expect(full.json.results).toHaveLength(100);
    for (const r of full.json.results) {
      expect(r.token_usages).toHaveLength(1);
      expect(r.user_prompts).toHaveLength(1);
      expect(r.tool_usages).toHaveLength(2);
      expect(r.token_usages[0].interception_id).toBe(r.id);
    }
    expect(full.n).toBe(6);
    expect((await costOf({ q: "provider:bulk", limit: "10" })).n).toBe(6);
    // A cursor adds its own existence check; a username adds its lookup.
    const lastId = full.json.results[99].id;
    expect((await costOf({ q: "provider:bulk", limit: "100", after_id: lastId })).n).toBe(7);
    expect((await costOf({ q: "provider:bulk initiator:admin", limit: "100" })).n).toBe(7);
    // An empty page has no children to fetch.
    expect((await costOf({ q: "provider:nothing" })).n).toBe(2);
  });
});
