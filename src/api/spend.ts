import { Type } from "@sinclair/typebox";
import { Elysia, t } from "elysia";

import type { IdentityResolver } from "../auth/identity";
import { monthStart, nextMonthStart } from "../cost/month";
import {
  SPEND_GROUPS,
  type SpendGroup,
  type SpendRange,
  type SpendRow,
  spendBy,
} from "../cost/spend-queries";
import type { Db } from "../db/engine";
import { authenticateCaller, type Caller } from "./caller";
import { ApiError, authErrors } from "./errors";
import { conditionsFor } from "./interceptions";
import { rejectNul } from "./reject-nul";
import { parseInterceptionQuery } from "./search-query";

export interface SpendApiDeps {
  db: Db;
  identities: IdentityResolver;
  now: () => number;
}

const SpendQuery = t.Object({
  group_by: t.Optional(
    t.String({ description: "`user` (default), `model`, `provider`, `client` or `day` (UTC)." }),
  ),
  q: t.Optional(
    t.String({
      description:
        "As for interceptions: `initiator`, `provider`, `model`, `client`, `started_after`, `started_before` (RFC 3339, inclusive). Without a time range: the current UTC month.",
      examples: ["provider:anthropic started_after:2026-11-01T00:00:00Z"],
    }),
  ),
});

const Count = Type.Integer();
const SpendRowSchema = t.Object(
  {
    key: t.String({ description: "The username, model, provider, client or day (YYYY-MM-DD)." }),
    interceptions: Count,
    input_tokens: Count,
    output_tokens: Count,
    cache_read_input_tokens: Count,
    cache_write_input_tokens: Count,
    cost_micros: Type.Integer({ description: "Micro-USD of the priced usage." }),
    unpriced_interceptions: Type.Integer({ description: "Usage rows that had no known price." }),
  },
  { title: "AIBridgeSpendRow" },
);
const SpendSchema = t.Object(
  {
    from: t.String({ format: "date-time" }),
    to: t.String({ format: "date-time", description: "Exclusive." }),
    rows: t.Array(SpendRowSchema),
  },
  { title: "AIBridgeSpend" },
);

const INVALID_SPEND_QUERY = "Invalid AI Bridge spend query.";

const CSV_COLUMNS = [
  "key",
  "interceptions",
  "input_tokens",
  "output_tokens",
  "cache_read_input_tokens",
  "cache_write_input_tokens",
  "cost_usd",
  "unpriced_interceptions",
] as const;

/** A CSV cell: quoted when needed; a leading formula character is defused for spreadsheets. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function usd(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, "0")}`;
}

export function spendCsv(rows: SpendRow[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const r of rows) {
    lines.push(
      [
        csvCell(r.key),
        r.interceptions,
        r.input_tokens,
        r.output_tokens,
        r.cache_read_input_tokens,
        r.cache_write_input_tokens,
        usd(r.cost_micros),
        r.unpriced_interceptions,
      ].join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}

async function spend(db: Db, caller: Caller, query: { group_by?: string; q?: string }, now: number) {
  const group = (query.group_by ?? "user") as SpendGroup;
  if (!SPEND_GROUPS.includes(group)) {
    throw new ApiError(400, INVALID_SPEND_QUERY, undefined, [
      { field: "group_by", detail: `Must be one of: ${SPEND_GROUPS.join(", ")}.` },
    ]);
  }
  const parsed = parseInterceptionQuery(query.q);
  if (!parsed.ok) throw new ApiError(400, INVALID_SPEND_QUERY, undefined, parsed.validations);
  const { startedAfter, startedBefore, ...conditions } = await conditionsFor(db, caller, parsed.filter);
  // Without a range, the current UTC month; with only an upper bound, that bound's month up to it
  // (from the current month's start, a bound in an earlier month would select nothing); with only a
  // lower bound, from it to the end of the current month.
  const range: SpendRange = {
    from: startedAfter ?? new Date(monthStart(startedBefore ? startedBefore.getTime() : now)),
    // started_before is inclusive.
    to: startedBefore ? new Date(startedBefore.getTime() + 1) : new Date(nextMonthStart(now)),
  };
  const rows = range.from < range.to ? await spendBy(db, caller, group, conditions, range) : [];
  return { group, range, rows };
}

/** `GET /api/v2/aibridge/spend` and its CSV export (SPEC §15). */
export function spendApi({ db, identities, now }: SpendApiDeps) {
  return new Elysia({ prefix: "/api/v2/aibridge/spend", tags: ["Cost"] })
    .use(rejectNul())
    .resolve(async ({ request }) => ({ caller: await authenticateCaller(request.headers, identities) }))
    .get(
      "",
      async ({ caller, query }) => {
        const { range, rows } = await spend(db, caller, query, now());
        return { from: range.from.toISOString(), to: range.to.toISOString(), rows };
      },
      {
        query: SpendQuery,
        response: { 200: SpendSchema, ...authErrors },
        detail: {
          summary: "Spend, grouped",
          description:
            "Tokens and cost of finished interceptions, grouped by user, model, provider, client or day; most expensive first (`day`: by day). Members see only their own.",
          operationId: "getAIBridgeSpend",
        },
      },
    )
    .get(
      "/export",
      async ({ caller, query }) => {
        const { group, range, rows } = await spend(db, caller, query, now());
        const name = `aibridge-spend-by-${group}-${range.from.toISOString().slice(0, 10)}.csv`;
        return new Response(spendCsv(rows), {
          headers: {
            "content-type": "text/csv; charset=utf-8",
            "content-disposition": `attachment; filename="${name}"`,
          },
        });
      },
      {
        query: SpendQuery,
        response: {
          200: t.String({ description: "CSV, one header line; cost_usd in decimal dollars." }),
          ...authErrors,
        },
        detail: {
          summary: "Spend as CSV",
          description: "The same rows as `GET /spend`, as `text/csv`, money in decimal dollars.",
          operationId: "exportAIBridgeSpend",
        },
      },
    );
}
