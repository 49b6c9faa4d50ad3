import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import Anthropic from "@anthropic-ai/sdk";
import { sql } from "drizzle-orm";
import OpenAI from "openai";

import { Budgets } from "../../src/cost/budgets";
import { monthStart, nextMonthStart } from "../../src/cost/month";
import { PriceService } from "../../src/cost/price-service";
import { InMemorySpendLedger } from "../../src/cost/spend-ledger";
import { type BridgeFixture, query, settled, startBridge } from "../helpers/bridge";
import { api, createUserWithKey } from "../helpers/http";
import { anthropicMessage, chatCompletion, responsesObject } from "../helpers/provider-wire";

const clock = { now: Date.now() };
let f: BridgeFixture;
let member: { id: string; key: string };
let auditor: { id: string; key: string };
/** Requests that reached the gateway's data plane, per SDK client (to prove nothing was retried). */
const hits = { openai: 0, anthropic: 0 };

beforeAll(async () => {
  // A default budget nobody here reaches: users without a limit of their own get it.
  f = await startBridge({ defaultMonthlyBudget: 1000 }, { now: () => clock.now });
  member = await createUserWithKey(f.gw.url, f.gw.adminKey, "mia", "member");
  auditor = await createUserWithKey(f.gw.url, f.gw.adminKey, "audrey", "auditor");
});
afterAll(() => f.stop());

/** The official SDKs with their default retry policy: a retried refusal would show in `hits`. */
function clients(key: string) {
  const counting = (provider: keyof typeof hits) => (input: string | URL | Request, init?: RequestInit) => {
    hits[provider]++;
    return fetch(input, init);
  };
  return {
    openai: new OpenAI({ apiKey: key, baseURL: f.openaiBase, fetch: counting("openai") }),
    anthropic: new Anthropic({ apiKey: key, baseURL: f.anthropicBase, fetch: counting("anthropic") }),
  };
}

// claude-opus-4-5 in the catalog: $5 in, $25 out, $0.50 cache read, $6.25 5m write, $10 1h write.
const OPUS_USAGE = {
  input_tokens: 1000,
  output_tokens: 500,
  cache_read_input_tokens: 2000,
  cache_creation_input_tokens: 4000,
  cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 3000 },
};
const OPUS_COST = 5000 + 12_500 + 1000 + 6250 + 30_000;

function answerAnthropic() {
  f.upstream.handler = () => Response.json(anthropicMessage([{ type: "text", text: "hi" }], OPUS_USAGE));
}

async function askAnthropic(c: ReturnType<typeof clients>) {
  return c.anthropic.messages.create({
    model: "claude-opus-4-5-20251101",
    max_tokens: 64,
    messages: [{ role: "user", content: "hello" }],
  });
}

describe("cost of every recorded usage row", () => {
  test("priced when recorded, through the dated model's family, 5m and 1h writes apart", async () => {
    answerAnthropic();
    const message = await askAnthropic(clients(f.gw.adminKey));
    await settled(f.gw);
    const [row] = await query(
      f.gw,
      `SELECT u.cost_micros, u.priced_model, u.prices FROM aibridge_token_usages u
       JOIN aibridge_user_prompts p ON p.interception_id = u.interception_id
       WHERE u.provider_response_id = '${message.id}' ORDER BY u.created_at DESC LIMIT 1`,
    );
    expect(Number(row.cost_micros)).toBe(OPUS_COST);
    expect(row.priced_model).toBe("claude-opus-4-5");
    const prices = typeof row.prices === "string" ? JSON.parse(row.prices) : row.prices;
    expect(prices).toEqual({
      input: 5_000_000,
      output: 25_000_000,
      cache_read: 500_000,
      cache_write_5m: 6_250_000,
      cache_write_1h: 10_000_000,
    });
    const listed = await api(f.gw.url, "/api/v2/aibridge/interceptions?q=model:claude-opus-4-5-20251101", {
      key: f.gw.adminKey,
    });
    expect(listed.json.results[0].cost_micros).toBe(OPUS_COST);
    expect(listed.json.results[0].token_usages[0]).toMatchObject({
      cost_micros: OPUS_COST,
      priced_model: "claude-opus-4-5",
    });
    expect(f.gw.server.metrics.costMicrosTotal.get({ provider: "anthropic", model: "claude-opus-4-5" })).toBe(
      OPUS_COST,
    );
  });

  test("a model no price knows: cost null on the row and the interception, counted as unpriced", async () => {
    f.upstream.handler = () =>
      Response.json(chatCompletion("ok", [], { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }));
    await clients(f.gw.adminKey).openai.chat.completions.create({
      model: "in-house-llm",
      messages: [{ role: "user", content: "hi" }],
    });
    await settled(f.gw);
    const listed = await api(f.gw.url, "/api/v2/aibridge/interceptions?q=model:in-house-llm", {
      key: f.gw.adminKey,
    });
    expect(listed.json.results[0].cost_micros).toBeNull();
    expect(listed.json.results[0].token_usages[0]).toMatchObject({ cost_micros: null, priced_model: null });
    expect(
      f.gw.server.metrics.unpricedTokenUsagesTotal.get({ provider: "openai", model: "in-house-llm" }),
    ).toBe(1);
  });
});

describe("prices API", () => {
  test("lists catalog prices to everyone, filtered by model prefix", async () => {
    const listed = await api(f.gw.url, "/api/v2/aibridge/prices?q=claude-sonnet-4-5", { key: member.key });
    expect(listed.status).toBe(200);
    expect(listed.json.find((p: { model: string }) => p.model === "claude-sonnet-4-5")).toMatchObject({
      provider: "anthropic",
      input: 3_000_000,
      cache_write_1h: 6_000_000,
      long_context: { threshold_tokens: 200_000, input: 6_000_000 },
      source: "catalog",
    });
    expect(listed.json.every((p: { model: string }) => p.model.startsWith("claude-sonnet-4-5"))).toBe(true);
  });

  test("a custom price (owner only) prices the next usage; deleting it restores the catalog's", async () => {
    const body = {
      input: 1_000_000,
      output: 2_000_000,
      cache_read: 0,
      cache_write_5m: null,
      cache_write_1h: null,
    };
    const forbidden = await api(f.gw.url, "/api/v2/aibridge/prices/openai/in-house-llm", {
      method: "PUT",
      key: member.key,
      body,
    });
    expect(forbidden.status).toBe(403);
    const bad = await api(f.gw.url, "/api/v2/aibridge/prices/mistral/x", {
      method: "PUT",
      key: f.gw.adminKey,
      body,
    });
    expect(bad.status).toBe(400);
    expect(bad.json.validations[0].field).toBe("provider");
    const negative = await api(f.gw.url, "/api/v2/aibridge/prices/openai/x", {
      method: "PUT",
      key: f.gw.adminKey,
      body: { input: -1 },
    });
    expect(negative.status).toBe(400);

    const put = await api(f.gw.url, "/api/v2/aibridge/prices/openai/in-house-llm", {
      method: "PUT",
      key: f.gw.adminKey,
      body,
    });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ ...body, provider: "openai", model: "in-house-llm", source: "custom" });

    f.upstream.handler = () =>
      Response.json(
        chatCompletion("ok", [], {
          prompt_tokens: 1500,
          completion_tokens: 250,
          total_tokens: 1750,
          prompt_tokens_details: { cached_tokens: 500 },
        }),
      );
    await clients(f.gw.adminKey).openai.chat.completions.create({
      model: "in-house-llm",
      messages: [{ role: "user", content: "hi" }],
    });
    await settled(f.gw);
    const listed = await api(f.gw.url, "/api/v2/aibridge/interceptions?q=model:in-house-llm&limit=1", {
      key: f.gw.adminKey,
    });
    expect(listed.json.results[0].cost_micros).toBe(1000 + 500);

    const del = () =>
      api(f.gw.url, "/api/v2/aibridge/prices/openai/in-house-llm", { method: "DELETE", key: f.gw.adminKey });
    expect((await del()).status).toBe(204);
    expect((await del()).status).toBe(404);
    const catalogRow = await api(f.gw.url, "/api/v2/aibridge/prices/openai/gpt-4o", {
      method: "DELETE",
      key: f.gw.adminKey,
    });
    expect(catalogRow.status).toBe(404);
  });
});

describe("spend", () => {
  test("grouped by user, model, provider, client and day; members see only their own", async () => {
    answerAnthropic();
    await askAnthropic(clients(member.key));
    await settled(f.gw);
    const byUser = await api(f.gw.url, "/api/v2/aibridge/spend?group_by=user", { key: auditor.key });
    expect(byUser.status).toBe(200);
    const monthStartIso = new Date(
      Date.UTC(new Date(clock.now).getUTCFullYear(), new Date(clock.now).getUTCMonth(), 1),
    );
    expect(byUser.json.from).toBe(monthStartIso.toISOString());
    const mia = byUser.json.rows.find((r: { key: string }) => r.key === "mia");
    expect(mia).toEqual({
      key: "mia",
      interceptions: 1,
      input_tokens: 1000,
      output_tokens: 500,
      cache_read_input_tokens: 2000,
      cache_write_input_tokens: 4000,
      cost_micros: OPUS_COST,
      unpriced_interceptions: 0,
    });
    const costs = byUser.json.rows.map((r: { cost_micros: number }) => r.cost_micros);
    expect(costs).toEqual([...costs].sort((a, b) => b - a));

    const own = await api(f.gw.url, "/api/v2/aibridge/spend?group_by=model", { key: member.key });
    expect(own.json.rows).toEqual([{ ...mia, key: "claude-opus-4-5-20251101" }]);
    for (const [group, key] of [
      ["provider", "anthropic"],
      ["client", "Unknown"],
      ["day", new Date().toISOString().slice(0, 10)],
    ]) {
      const res = await api(f.gw.url, `/api/v2/aibridge/spend?group_by=${group}`, { key: member.key });
      expect(res.json.rows).toEqual([{ ...mia, key }]);
    }
    const bad = await api(f.gw.url, "/api/v2/aibridge/spend?group_by=color", { key: member.key });
    expect(bad.status).toBe(400);
    const badQ = await api(f.gw.url, "/api/v2/aibridge/spend?q=colour:red", { key: member.key });
    expect(badQ.status).toBe(400);
  });

  test("every rollup agrees with the rows, for every group; deleting an interception takes its spend out", async () => {
    const totals = async () => {
      const [row] = await query(
        f.gw,
        `SELECT (SELECT count(*) FROM aibridge_interceptions WHERE ended_at IS NOT NULL) AS n,
                (SELECT coalesce(sum(cost_micros), 0) FROM aibridge_token_usages) AS c,
                (SELECT coalesce(sum(input_tokens), 0) FROM aibridge_token_usages) AS i`,
      );
      return { interceptions: Number(row.n), cost_micros: Number(row.c), input_tokens: Number(row.i) };
    };
    const check = async () => {
      const expected = await totals();
      // The last one spans days of the month before and whole months (the monthly rollup).
      const since = new Date(
        Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 15),
      ).toISOString();
      for (const [group, q] of [
        ["user", ""],
        ["model", ""],
        ["provider", ""],
        ["client", ""],
        ["day", ""],
        ["user", `&q=started_after:${since}`],
      ]) {
        const res = await api(f.gw.url, `/api/v2/aibridge/spend?group_by=${group}${q}`, { key: auditor.key });
        const sum = (k: "interceptions" | "cost_micros" | "input_tokens") =>
          res.json.rows.reduce((a: number, r: Record<string, number>) => a + r[k]!, 0);
        expect({
          group,
          interceptions: sum("interceptions"),
          cost_micros: sum("cost_micros"),
          input_tokens: sum("input_tokens"),
        }).toEqual({
          group,
          ...expected,
        });
      }
      return expected;
    };
    const before = await check();
    answerAnthropic();
    await askAnthropic(clients(auditor.key));
    await settled(f.gw);
    const [mine] = await query(
      f.gw,
      `SELECT id FROM aibridge_interceptions WHERE initiator_id = '${auditor.id}' ORDER BY started_at DESC LIMIT 1`,
    );
    expect(await check()).toEqual({
      interceptions: before.interceptions + 1,
      cost_micros: before.cost_micros + OPUS_COST,
      input_tokens: before.input_tokens + 1000,
    });
    // As retention does: the interception first, then its children, in one transaction.
    await f.gw.server.database.db.transaction(async (tx) => {
      await tx.execute(sql.raw(`DELETE FROM aibridge_interceptions WHERE id = '${mine.id}'`));
      await tx.execute(sql.raw(`DELETE FROM aibridge_token_usages WHERE interception_id = '${mine.id}'`));
    });
    expect(await check()).toEqual(before);
  });

  test("a time range inside a day is served exactly from the rows", async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const res = await api(
      f.gw.url,
      `/api/v2/aibridge/spend?group_by=user&q=initiator:mia started_after:${since}`,
      {
        key: f.gw.adminKey,
      },
    );
    expect(res.json.rows.map((r: { key: string; cost_micros: number }) => [r.key, r.cost_micros])).toEqual([
      ["mia", OPUS_COST],
    ]);
  });

  test("only started_before: that bound's UTC month up to it", async () => {
    const lastMonthEnd = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1) - 1);
    const res = await api(
      f.gw.url,
      `/api/v2/aibridge/spend?group_by=user&q=started_before:${lastMonthEnd.toISOString()}`,
      { key: f.gw.adminKey },
    );
    expect(res.status).toBe(200);
    const from = new Date(Date.UTC(lastMonthEnd.getUTCFullYear(), lastMonthEnd.getUTCMonth(), 1));
    expect([res.json.from, res.json.to]).toEqual([
      from.toISOString(),
      new Date(lastMonthEnd.getTime() + 1).toISOString(),
    ]);
  });

  test("CSV export: one header line, money in decimal dollars", async () => {
    const res = await fetch(`${f.gw.url}/api/v2/aibridge/spend/export?group_by=user`, {
      headers: { "coder-session-token": member.key },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/csv");
    expect(await res.text()).toBe(
      "key,interceptions,input_tokens,output_tokens,cache_read_input_tokens,cache_write_input_tokens,cost_usd,unpriced_interceptions\r\n" +
        "mia,1,1000,500,2000,4000,0.054750,0\r\n",
    );
  });
});

describe("budgets", () => {
  test("a user crosses the limit through the SDKs; the next call is refused, not retried, not recorded", async () => {
    const bob = await createUserWithKey(f.gw.url, f.gw.adminKey, "bob", "member");
    // A key that outlives the month change below.
    const longKey = await api(f.gw.url, "/api/v2/users/bob/keys", {
      method: "POST",
      key: f.gw.adminKey,
      body: { lifetime: "2000h" },
    });
    const user = { ...bob, key: longKey.json.key as string };
    const set = await api(f.gw.url, "/api/v2/users/bob/budget", {
      method: "PUT",
      key: f.gw.adminKey,
      body: { monthly_limit_micros: 50_000 },
    });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ monthly_limit_micros: 50_000, limit_source: "user", spent_micros: 0 });
    const memberSets = await api(f.gw.url, "/api/v2/users/bob/budget", {
      method: "PUT",
      key: user.key,
      body: { monthly_limit_micros: null },
    });
    expect(memberSets.status).toBe(403);

    const c = clients(user.key);
    answerAnthropic();
    await askAnthropic(c);
    await settled(f.gw);
    const status = await api(f.gw.url, "/api/v2/users/me/budget", { key: user.key });
    expect(status.json).toMatchObject({ monthly_limit_micros: 50_000, spent_micros: OPUS_COST });

    const upstreamBefore = f.upstream.received.length;
    const interceptionsBefore = (await query(f.gw, "SELECT count(*) AS n FROM aibridge_interceptions"))[0].n;
    const hitsBefore = { ...hits };
    const resetAt = new Date(nextMonthStart(clock.now)).toISOString();

    const anthropicError = await askAnthropic(c).catch((e) => e);
    expect(anthropicError).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(anthropicError.status).toBe(403);
    expect(anthropicError.error).toMatchObject({ type: "error", error: { type: "permission_error" } });
    expect(anthropicError.message).toContain("$0.05 monthly limit");
    expect(anthropicError.message).toContain(resetAt);
    expect(anthropicError.headers.get("x-should-retry")).toBe("false");

    const openaiError = await c.openai.responses.create({ model: "gpt-4o", input: "hi" }).catch((e) => e);
    expect(openaiError).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(openaiError.code).toBe("insufficient_quota");
    expect(openaiError.type).toBe("insufficient_quota");
    expect(openaiError.message).toContain(resetAt);

    expect(hits.anthropic - hitsBefore.anthropic).toBe(1);
    expect(hits.openai - hitsBefore.openai).toBe(1);
    expect(f.upstream.received.length).toBe(upstreamBefore);
    expect((await query(f.gw, "SELECT count(*) AS n FROM aibridge_interceptions"))[0].n).toBe(
      interceptionsBefore,
    );
    expect(f.gw.server.metrics.budgetRejectionsTotal.get()).toBe(2);

    // A new UTC month: the budget is whole again.
    clock.now = nextMonthStart(clock.now) + 1000;
    try {
      f.upstream.handler = () =>
        Response.json(responsesObject("ok", [], { input_tokens: 5, output_tokens: 1 }));
      await c.openai.responses.create({ model: "gpt-4o", input: "hi" });
      const fresh = await api(f.gw.url, "/api/v2/users/me/budget", { key: user.key });
      expect(fresh.json).toMatchObject({ spent_micros: 0, period_start: resetAt });
    } finally {
      clock.now = Date.now();
    }
  });

  test("a start seeds each user's spend of the month from the recorded rows", async () => {
    const ledger = new InMemorySpendLedger();
    const restarted = new Budgets({
      db: f.gw.server.database.db,
      ledger,
      defaultLimitMicros: 0,
      now: Date.now,
    });
    await restarted.start();
    restarted.stop();
    expect(ledger.spent(member.id, monthStart(Date.now()))).toBe(OPUS_COST);
  });

  test("without Redis, what another replica records reaches this one's check at its next refresh", async () => {
    const ledger = new InMemorySpendLedger();
    const other = new Budgets({ db: f.gw.server.database.db, ledger, defaultLimitMicros: 0, now: Date.now });
    await other.start();
    try {
      const month = monthStart(Date.now());
      const before = ledger.spent(auditor.id, month);
      answerAnthropic();
      await askAnthropic(clients(auditor.key));
      await settled(f.gw);
      expect(ledger.spent(auditor.id, month)).toBe(before);
      await other.refresh();
      expect(ledger.spent(auditor.id, month)).toBe(before + OPUS_COST);
    } finally {
      other.stop();
    }
  });

  test("budget reads: self, owner and auditor; not another member", async () => {
    expect((await api(f.gw.url, "/api/v2/users/mia/budget", { key: member.key })).status).toBe(200);
    expect((await api(f.gw.url, "/api/v2/users/mia/budget", { key: auditor.key })).status).toBe(200);
    expect((await api(f.gw.url, "/api/v2/users/bob/budget", { key: member.key })).status).toBe(403);
    const fallback = await api(f.gw.url, "/api/v2/users/mia/budget", { key: f.gw.adminKey });
    expect(fallback.json).toMatchObject({ monthly_limit_micros: 1_000_000_000, limit_source: "default" });
    const bad = await api(f.gw.url, "/api/v2/users/mia/budget", {
      method: "PUT",
      key: f.gw.adminKey,
      body: { monthly_limit_micros: "lots" },
    });
    expect(bad.status).toBe(400);
  });
});

test("custom prices survive a restart: the next start re-seeds the catalog around them", async () => {
  const put = await api(f.gw.url, "/api/v2/aibridge/prices/anthropic/claude-sonnet-4-5", {
    method: "PUT",
    key: f.gw.adminKey,
    body: { input: 1, output: 2 },
  });
  expect(put.status).toBe(200);
  // What a start does with the prices: a new service seeds the catalog into the same database.
  const restarted = new PriceService(f.gw.server.database.db, Date.now);
  await restarted.start();
  restarted.stop();
  const byModel = new Map((await restarted.list()).map((e) => [e.model, e]));
  expect(byModel.get("claude-sonnet-4-5")).toMatchObject({
    source: "custom",
    prices: { input: 1, output: 2, cacheRead: null, longContext: null },
  });
  expect(byModel.get("claude-haiku-4-5")).toMatchObject({ source: "catalog", prices: { input: 1_000_000 } });
  expect(restarted.book.resolve("anthropic", "claude-sonnet-4-5-20250929")?.entry.source).toBe("custom");
});
