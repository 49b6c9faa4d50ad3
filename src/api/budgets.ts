import { Type } from "@sinclair/typebox";
import { Elysia, t } from "elysia";

import type { IdentityResolver } from "../auth/identity";
import type { Budgets } from "../cost/budgets";
import type { Db } from "../db/engine";
import { authenticateCaller } from "./caller";
import { authErrors, ErrorSchema } from "./errors";
import { rejectNul } from "./reject-nul";
import { requireOwner, resolveUser } from "./users";

export interface BudgetsApiDeps {
  db: Db;
  identities: IdentityResolver;
  budgets: Budgets;
}

const BudgetSchema = t.Object(
  {
    monthly_limit_micros: t.Union([Type.Integer(), t.Null()], {
      description: "The limit in force in micro-USD (the user's own, else the default); null = unlimited.",
    }),
    limit_source: t.Union([t.Literal("user"), t.Literal("default"), t.Literal("none")]),
    spent_micros: Type.Integer({ description: "Spent this UTC month, in micro-USD." }),
    period_start: t.String({ format: "date-time" }),
    period_end: t.String({ format: "date-time", description: "When the budget resets." }),
  },
  { title: "AIBridgeBudget" },
);

const PutBudgetBody = t.Object(
  {
    monthly_limit_micros: t.Union(
      [Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), t.Null()],
      {
        description: "Micro-USD per UTC month (25000000 = $25); null falls back to the default.",
      },
    ),
  },
  { additionalProperties: false },
);

const UserParams = t.Object({ user: t.String({ description: "User id, username, or `me`." }) });

/** `GET/PUT /api/v2/users/{user}/budget` (SPEC §15). */
export function budgetsApi({ db, identities, budgets }: BudgetsApiDeps) {
  return new Elysia({ prefix: "/api/v2/users", tags: ["Users"] })
    .use(rejectNul())
    .resolve(async ({ request }) => ({ caller: await authenticateCaller(request.headers, identities) }))
    .get(
      "/:user/budget",
      async ({ caller, params }) => budgets.status((await resolveUser(db, caller, params.user, "read")).id),
      {
        params: UserParams,
        response: { 200: BudgetSchema, ...authErrors, 404: ErrorSchema },
        detail: {
          summary: "A user's monthly budget and spend (self, owner, auditor)",
          operationId: "getUserBudget",
        },
      },
    )
    .put(
      "/:user/budget",
      async ({ caller, params, body }) => {
        requireOwner(caller);
        const user = await resolveUser(db, caller, params.user, "manage");
        await budgets.set(user.id, body.monthly_limit_micros);
        return budgets.status(user.id);
      },
      {
        params: UserParams,
        body: PutBudgetBody,
        response: { 200: BudgetSchema, ...authErrors, 404: ErrorSchema },
        detail: { summary: "Set a user's monthly budget (owner)", operationId: "putUserBudget" },
      },
    );
}
