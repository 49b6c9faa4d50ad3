import type { Database } from "../db/engine";
import type { InterceptionRecord, PendingBatch } from "./records";
import { linkWithinBatch } from "./thread-links";

/*
 * The two statements on the recording hot path. Each has one fixed text and one JSON parameter
 * holding every row, whatever the batch size: the driver and the server parse one value per batch,
 * instead of a statement with a placeholder per column and row, shaped by the row count.
 */

// Idempotent, so that a group whose outcome is unknown (the connection dropped) can be sent again.
const INSERT_INTERCEPTIONS = `
INSERT INTO aibridge_interceptions (id, initiator_id, api_key_id, provider, model, client, client_session_id,
  user_agent, metadata, credential_kind, credential_hint, started_at, instance_id)
SELECT id, initiator_id, api_key_id, provider, model, client, client_session_id,
  user_agent, metadata, credential_kind, credential_hint, started_at, instance_id
FROM jsonb_populate_recordset(NULL::aibridge_interceptions, $1::text::jsonb)
ON CONFLICT (id) DO NOTHING`;

/**
 * Children first, then the ends, in one statement (one transaction): an ended interception always
 * has its rows. One JSON parameter per table, so that each is parsed once. Idempotent (the
 * recorder gives child ids when it queues them), so that a batch whose outcome is unknown, or a
 * replayed spill file, can be sent again.
 *
 * Threads (SPEC §14) are resolved here, off the request path: an end that answers a tool call gets
 * as parent the newest interception of the same initiator that made it, and that one's root. A
 * parent written by this same statement is invisible to it, so those links come resolved from
 * `linkWithinBatch` (`batch_parent`, and `batch_top`: the chain's first ancestor in the batch,
 * whose root this end shares); every other parent is one index probe on
 * (provider_tool_call_id, created_at) and one primary-key read.
 *
 * The rollups (counts, spend, sessions) are kept here too, from what the inserts and the update
 * return: only rows this statement really inserted, only interceptions it really ended, so a
 * statement sent again adds nothing twice. `kept` tells the per-statement triggers of drizzle/0013
 * to leave this statement's rows alone.
 */
const WRITE_BATCH = `
WITH usages AS (
  INSERT INTO aibridge_token_usages (id, interception_id, provider_response_id, input_tokens, output_tokens,
    cache_read_input_tokens, cache_write_input_tokens, metadata, created_at, cost_micros, priced_model, prices)
  SELECT r.id, r.interception_id, r.provider_response_id, r.input_tokens, r.output_tokens,
    r.cache_read_input_tokens, r.cache_write_input_tokens, r.metadata, r.created_at, r.cost_micros,
    r.priced_model, r.prices
  FROM jsonb_populate_recordset(NULL::aibridge_token_usages, $1::text::jsonb) r
  ON CONFLICT (id) DO NOTHING
  RETURNING interception_id, input_tokens, output_tokens, cache_read_input_tokens, cache_write_input_tokens,
    cost_micros
),
prompts AS (
  INSERT INTO aibridge_user_prompts (id, interception_id, provider_response_id, prompt, metadata, created_at)
  SELECT r.id, r.interception_id, r.provider_response_id, r.prompt, r.metadata, r.created_at
  FROM jsonb_populate_recordset(NULL::aibridge_user_prompts, $2::text::jsonb) r
  ON CONFLICT (id) DO NOTHING
  RETURNING id, interception_id, prompt, created_at
),
tools AS (
  INSERT INTO aibridge_tool_usages (id, interception_id, provider_response_id, server_url, tool,
    provider_tool_call_id, input, injected, invocation_error, metadata, created_at)
  SELECT r.id, r.interception_id, r.provider_response_id, r.server_url, r.tool,
    r.provider_tool_call_id, r.input, r.injected, r.invocation_error, r.metadata, r.created_at
  FROM jsonb_populate_recordset(NULL::aibridge_tool_usages, $3::text::jsonb) r
  ON CONFLICT (id) DO NOTHING
),
thoughts AS (
  INSERT INTO aibridge_model_thoughts (id, interception_id, content, metadata, created_at)
  SELECT r.id, r.interception_id, r.content, r.metadata, r.created_at
  FROM jsonb_populate_recordset(NULL::aibridge_model_thoughts, $5::text::jsonb) r
  ON CONFLICT (id) DO NOTHING
),
ends AS (
  SELECT * FROM jsonb_to_recordset($4::text::jsonb) AS e(id uuid, ended_at timestamptz, status integer,
    error_type aibridge_error_type, error_message text, initiator_id uuid, correlation text,
    batch_parent uuid, batch_top uuid)
),
parents AS (
  SELECT e.id, p.parent_id, p.root_id
  FROM ends e
  CROSS JOIN LATERAL (
    SELECT t.interception_id AS parent_id, COALESCE(pi.thread_root_id, pi.id) AS root_id
    FROM aibridge_tool_usages t
    JOIN aibridge_interceptions pi ON pi.id = t.interception_id
    WHERE t.provider_tool_call_id = e.correlation AND pi.initiator_id = e.initiator_id AND pi.id <> e.id
    ORDER BY t.created_at DESC, t.id DESC
    LIMIT 1
  ) p
  WHERE e.batch_parent IS NULL AND e.correlation IS NOT NULL
),
-- Each row's state as of now, locked: a plain join would keep the statement's snapshot, and an end
-- committed meanwhile by another writer (a crash sweep on another replica) would be counted twice.
was AS (
  SELECT w.id, w.ended_at FROM aibridge_interceptions w WHERE w.id IN (SELECT id FROM ends) FOR UPDATE
),
ended AS (
  UPDATE aibridge_interceptions i SET ended_at = e.ended_at, status = e.status, error_type = e.error_type,
    error_message = e.error_message,
    thread_parent_id = COALESCE(e.batch_parent, own.parent_id),
    thread_root_id = CASE WHEN e.batch_parent IS NULL THEN own.root_id ELSE COALESCE(top.root_id, e.batch_top) END
  FROM ends e
  JOIN was ON was.id = e.id
  LEFT JOIN parents own ON own.id = e.id
  LEFT JOIN parents top ON top.id = e.batch_top
  WHERE i.id = e.id
  RETURNING i.id, i.initiator_id, i.session_id, i.started_at, i.ended_at, i.provider, i.model, i.client,
    i.metadata, i.thread_root_id, was.ended_at IS NULL AS newly_ended
),
finished AS (SELECT * FROM ended WHERE newly_ended),
counted AS (
  SELECT aibridge_add_interception_counts(array_agg(initiator_id), array_agg(started_at), array_agg(provider),
    array_agg(model), array_agg(client), array_agg(1::bigint))
  FROM finished HAVING count(*) > 0
),
spent AS (
  SELECT aibridge_add_spend(array_agg(initiator_id), array_agg(started_at), array_agg(provider),
    array_agg(model), array_agg(client), array_agg(n), array_agg(i), array_agg(o), array_agg(r), array_agg(w),
    array_agg(c), array_agg(u))
  FROM (
    SELECT initiator_id, started_at, provider, model, client, 1::bigint AS n, 0::bigint AS i, 0::bigint AS o,
      0::bigint AS r, 0::bigint AS w, 0::bigint AS c, 0::bigint AS u
    FROM finished
    UNION ALL
    SELECT x.initiator_id, x.started_at, x.provider, x.model, x.client, 0, coalesce(t.input_tokens, 0),
      coalesce(t.output_tokens, 0), coalesce(t.cache_read_input_tokens, 0), coalesce(t.cache_write_input_tokens, 0),
      coalesce(t.cost_micros, 0), CASE WHEN t.cost_micros IS NULL THEN 1::bigint ELSE 0::bigint END
    FROM usages t JOIN aibridge_interceptions x ON x.id = t.interception_id
  ) d
  HAVING count(*) > 0
),
batch_usage AS (
  SELECT interception_id, sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cache_read_input_tokens) AS r,
    sum(cache_write_input_tokens) AS w, sum(cost_micros) AS c
  FROM usages GROUP BY interception_id
),
batch_prompt AS (
  SELECT DISTINCT ON (interception_id) interception_id, id, prompt, created_at
  FROM prompts ORDER BY interception_id, created_at DESC, id DESC
),
sessions AS (
  SELECT aibridge_merge_sessions(array_agg(ROW(f.initiator_id, f.session_id, f.id, f.started_at, f.ended_at,
    f.client, f.metadata, f.provider, f.model, f.thread_root_id IS NULL,
    coalesce(b.i, 0) + coalesce(u.i, 0), coalesce(b.o, 0) + coalesce(u.o, 0),
    coalesce(b.r, 0) + coalesce(u.r, 0), coalesce(b.w, 0) + coalesce(u.w, 0),
    CASE WHEN b.c IS NULL THEN u.c WHEN u.c IS NULL THEN b.c ELSE b.c + u.c END,
    latest.prompt, latest.created_at, latest.id)::aibridge_session_part))
  FROM finished f
  LEFT JOIN batch_usage b ON b.interception_id = f.id
  LEFT JOIN batch_prompt bp ON bp.interception_id = f.id
  -- Rows of earlier statements (this statement's own are not visible to these reads).
  LEFT JOIN LATERAL (
    SELECT sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cache_read_input_tokens) AS r,
      sum(cache_write_input_tokens) AS w, sum(cost_micros) AS c
    FROM aibridge_token_usages WHERE interception_id = f.id
  ) u ON true
  LEFT JOIN LATERAL (
    SELECT up.id, up.prompt, up.created_at FROM aibridge_user_prompts up
    WHERE up.interception_id = f.id ORDER BY up.created_at DESC, up.id DESC LIMIT 1
  ) tp ON true
  CROSS JOIN LATERAL (
    SELECT * FROM (VALUES (bp.id, bp.prompt, bp.created_at), (tp.id, tp.prompt, tp.created_at)) v(id, prompt, created_at)
    ORDER BY v.created_at DESC NULLS LAST, v.id DESC NULLS LAST LIMIT 1
  ) latest
  HAVING count(*) > 0
),
kept AS (SELECT set_config('aibridge.rollups_kept', 'on', true) AS v)
-- In the order the triggers take the same rollups (by trigger name: counts, sessions, spend), so
-- that this statement and a sweep or a retention run never wait on each other crosswise.
SELECT (SELECT count(*) FROM counted) + (SELECT count(*) FROM sessions) + (SELECT count(*) FROM spent)
  + (SELECT count(*) FROM kept) AS n`;

// JSON.stringify would reach a Date's text through toJSON, several times slower than asking directly.
const iso = (date: Date) => date.toISOString();

function interceptionJson(r: InterceptionRecord) {
  return {
    id: r.id,
    initiator_id: r.initiatorId,
    api_key_id: r.apiKeyId,
    provider: r.provider,
    model: r.model,
    client: r.client,
    client_session_id: r.clientSessionId ?? null,
    user_agent: r.userAgent ?? "",
    metadata: r.metadata ?? {},
    credential_kind: r.credentialKind,
    credential_hint: r.credentialHint,
    started_at: iso(r.startedAt),
    instance_id: r.instanceId ?? null,
  };
}

// Child ids are UUIDv7: time-ordered keys append to their indexes instead of landing anywhere.
function batchParams(batch: PendingBatch): string[] {
  const links = linkWithinBatch(batch);
  return [
    batch.tokenUsages.map((r) => ({
      id: r.id ?? Bun.randomUUIDv7(),
      interception_id: r.interceptionId,
      provider_response_id: r.providerResponseId ?? "",
      input_tokens: r.inputTokens ?? null,
      output_tokens: r.outputTokens ?? null,
      cache_read_input_tokens: r.cacheReadInputTokens ?? null,
      cache_write_input_tokens: r.cacheWriteInputTokens ?? null,
      metadata: r.metadata ?? {},
      created_at: iso(r.createdAt),
      cost_micros: r.costMicros ?? null,
      priced_model: r.pricedModel ?? null,
      prices: r.prices ?? null,
    })),
    batch.userPrompts.map((r) => ({
      id: r.id ?? Bun.randomUUIDv7(),
      interception_id: r.interceptionId,
      provider_response_id: r.providerResponseId ?? "",
      prompt: r.prompt,
      metadata: r.metadata ?? {},
      created_at: iso(r.createdAt),
    })),
    batch.toolUsages.map((r) => ({
      id: r.id ?? Bun.randomUUIDv7(),
      interception_id: r.interceptionId,
      provider_response_id: r.providerResponseId ?? "",
      server_url: r.serverUrl ?? null,
      tool: r.tool,
      provider_tool_call_id: r.providerToolCallId ?? "",
      input: r.input,
      injected: r.injected ?? false,
      invocation_error: r.invocationError ?? null,
      metadata: r.metadata ?? {},
      created_at: iso(r.createdAt),
    })),
    batch.ends.map((e) => {
      const link = links.get(e.id);
      return {
        id: e.id,
        ended_at: iso(e.endedAt),
        status: e.status,
        error_type: e.errorType,
        error_message: e.errorMessage,
        initiator_id: e.initiatorId,
        correlation: link ? null : e.correlationToolCallId,
        batch_parent: link?.parent ?? null,
        batch_top: link?.top ?? null,
      };
    }),
    batch.modelThoughts.map((r) => ({
      id: r.id ?? Bun.randomUUIDv7(),
      interception_id: r.interceptionId,
      content: r.content,
      metadata: r.metadata ?? {},
      created_at: iso(r.createdAt),
    })),
  ].map((rows) => JSON.stringify(rows));
}

export function insertInterceptions(database: Database, rows: InterceptionRecord[]): Promise<void> {
  return database.run(INSERT_INTERCEPTIONS, [JSON.stringify(rows.map(interceptionJson))]);
}

export function writeBatch(database: Database, batch: PendingBatch): Promise<void> {
  // Its UPDATE joins the batch to the interceptions table (see Database.runReplanned).
  return database.runReplanned(WRITE_BATCH, batchParams(batch));
}
