import { Type } from "@sinclair/typebox";
import { Elysia, t } from "elysia";

import type { IdentityResolver } from "../auth/identity";
import type { PriceService } from "../cost/price-service";
import { PRICED_PROVIDERS } from "../cost/price-service";
import type { LongContextPrices, ModelPrices, PriceEntry, PriceSet } from "../cost/prices";
import { authenticateCaller } from "./caller";
import { ApiError, authErrors, ErrorSchema } from "./errors";
import { rejectNul } from "./reject-nul";
import { parseModelsQuery } from "./search-query";
import { requireOwner } from "./users";

export interface PricesApiDeps {
  prices: PriceService;
  identities: IdentityResolver;
}

const MAX_PRICE = 1_000_000_000_000; // $1 000 000 per MTok: anything above is a typo.
const Price = t.Union([Type.Integer({ minimum: 0, maximum: MAX_PRICE }), t.Null()], {
  description: "Micro-USD per million tokens (3000000 = $3 / MTok); null = unknown, 0 = free.",
});
const priceFields = {
  input: Price,
  output: Price,
  cache_read: Price,
  cache_write_5m: Price,
  cache_write_1h: Price,
};
const LongContextSchema = t.Object(
  { threshold_tokens: Type.Integer({ minimum: 0 }), ...priceFields },
  {
    title: "AIBridgeLongContextPrices",
    description: "Prices for requests whose input tokens (cache included) exceed threshold_tokens.",
  },
);
const PriceSchema = t.Object(
  {
    provider: t.String(),
    model: t.String(),
    ...priceFields,
    long_context: t.Union([LongContextSchema, t.Null()]),
    source: t.Union([t.Literal("catalog"), t.Literal("custom")]),
    updated_at: t.String({ format: "date-time" }),
  },
  { title: "AIBridgePrice" },
);

const optionalPrices = {
  input: t.Optional(Price),
  output: t.Optional(Price),
  cache_read: t.Optional(Price),
  cache_write_5m: t.Optional(Price),
  cache_write_1h: t.Optional(Price),
};
const PutPriceBody = t.Object(
  {
    ...optionalPrices,
    long_context: t.Optional(
      t.Union([t.Object({ threshold_tokens: Type.Integer({ minimum: 0 }), ...optionalPrices }), t.Null()]),
    ),
  },
  {
    additionalProperties: false,
    description: "Prices in micro-USD per million tokens; an omitted price is unknown (null).",
  },
);

const PriceParams = t.Object({
  provider: t.String({ description: "`openai` or `anthropic`." }),
  model: t.String({ description: "The model id as clients send it, or a family (`claude-sonnet-4-5`)." }),
});

type PriceFields = { [K in keyof typeof priceFields]?: number | null };

function priceSet(body: PriceFields): PriceSet {
  return {
    input: body.input ?? null,
    output: body.output ?? null,
    cacheRead: body.cache_read ?? null,
    cacheWrite5m: body.cache_write_5m ?? null,
    cacheWrite1h: body.cache_write_1h ?? null,
  };
}

function setJson(p: PriceSet) {
  return {
    input: p.input,
    output: p.output,
    cache_read: p.cacheRead,
    cache_write_5m: p.cacheWrite5m,
    cache_write_1h: p.cacheWrite1h,
  };
}

function longJson(p: LongContextPrices | null) {
  return p === null ? null : { threshold_tokens: p.thresholdTokens, ...setJson(p) };
}

function priceJson(e: PriceEntry) {
  return {
    provider: e.provider,
    model: e.model,
    ...setJson(e.prices),
    long_context: longJson(e.prices.longContext),
    source: e.source,
    updated_at: e.updatedAt.toISOString(),
  };
}

function checkParams(provider: string, model: string): void {
  const validations = [];
  if (!(PRICED_PROVIDERS as readonly string[]).includes(provider)) {
    validations.push({ field: "provider", detail: `Must be one of: ${PRICED_PROVIDERS.join(", ")}.` });
  }
  if (model.length === 0 || model.length > 256 || /[\u0000-\u001f]/.test(model)) {
    validations.push({ field: "model", detail: "Must be 1 to 256 characters, without control characters." });
  }
  if (validations.length) throw new ApiError(400, "Invalid price.", undefined, validations);
}

/** `GET/PUT/DELETE /api/v2/aibridge/prices…` (SPEC §15). */
export function pricesApi({ prices, identities }: PricesApiDeps) {
  return new Elysia({ prefix: "/api/v2/aibridge/prices", tags: ["Cost"] })
    .use(rejectNul())
    .resolve(async ({ request }) => ({ caller: await authenticateCaller(request.headers, identities) }))
    .get(
      "",
      async ({ query }) => {
        const parsed = parseModelsQuery(query.q);
        if (!parsed.ok)
          throw new ApiError(400, "Invalid prices search query.", undefined, parsed.validations);
        const prefix = parsed.prefix;
        const entries = await prices.list();
        return entries.filter((e) => prefix === null || e.model.startsWith(prefix)).map(priceJson);
      },
      {
        query: t.Object({
          q: t.Optional(
            t.String({
              description: "A bare term or `model:<prefix>`: case-sensitive model prefix.",
              examples: ["claude-"],
            }),
          ),
        }),
        response: { 200: t.Array(PriceSchema), ...authErrors },
        detail: {
          summary: "List prices",
          description:
            "Prices per (provider, model) in micro-USD per million tokens: the catalog's (seeded at every start) and custom ones, which win.",
          operationId: "listAIBridgePrices",
        },
      },
    )
    .put(
      "/:provider/:model",
      async ({ caller, params, body }) => {
        requireOwner(caller);
        checkParams(params.provider, params.model);
        const long = body.long_context;
        const modelPrices: ModelPrices = {
          ...priceSet(body),
          longContext: long ? { thresholdTokens: long.threshold_tokens, ...priceSet(long) } : null,
        };
        return priceJson(await prices.put(params.provider, params.model, modelPrices));
      },
      {
        params: PriceParams,
        body: PutPriceBody,
        response: { 200: PriceSchema, ...authErrors },
        detail: {
          summary: "Set a custom price (owner)",
          description: "Custom prices win over the catalog's and survive restarts and upgrades.",
          operationId: "putAIBridgePrice",
        },
      },
    )
    .delete(
      "/:provider/:model",
      async ({ caller, params, set }) => {
        requireOwner(caller);
        checkParams(params.provider, params.model);
        if (!(await prices.delete(params.provider, params.model))) {
          throw new ApiError(
            404,
            "Price not found.",
            `No custom price for ${params.provider}/${params.model}; catalog prices cannot be deleted.`,
          );
        }
        set.status = 204;
      },
      {
        params: PriceParams,
        response: { 204: t.Void(), ...authErrors, 404: ErrorSchema },
        detail: {
          summary: "Delete a custom price (owner)",
          description: "The catalog's price for the model, if it has one, applies again.",
          operationId: "deleteAIBridgePrice",
        },
      },
    );
}
