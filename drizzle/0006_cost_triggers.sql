-- Custom SQL migration (drizzle-kit generate --custom): keeps aibridge_spend_daily exact (SPEC §15).

-- Adds usage sums (negative to remove) per initiator, UTC day of the interception's start and
-- (provider, model, client). Rows come from a join of usage rows with their interceptions.
CREATE FUNCTION aibridge_add_spend(
  initiators uuid[], started timestamptz[], providers text[], models text[], clients text[],
  inputs bigint[], outputs bigint[], reads bigint[], writes bigint[], costs bigint[], unpriced bigint[]
) RETURNS void LANGUAGE sql AS $$
  INSERT INTO aibridge_spend_daily AS s (initiator_id, day, provider, model, client, input_tokens,
    output_tokens, cache_read_input_tokens, cache_write_input_tokens, cost_micros, unpriced_usages)
  SELECT initiator_id, date_trunc('day', started_at, 'UTC'), provider, model, client,
    sum(i), sum(o), sum(r), sum(w), sum(c), sum(u)
  FROM unnest(initiators, started, providers, models, clients, inputs, outputs, reads, writes, costs, unpriced)
    AS d(initiator_id, started_at, provider, model, client, i, o, r, w, c, u)
  GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (initiator_id, day, provider, model, client) DO UPDATE SET
    input_tokens = s.input_tokens + excluded.input_tokens,
    output_tokens = s.output_tokens + excluded.output_tokens,
    cache_read_input_tokens = s.cache_read_input_tokens + excluded.cache_read_input_tokens,
    cache_write_input_tokens = s.cache_write_input_tokens + excluded.cache_write_input_tokens,
    cost_micros = s.cost_micros + excluded.cost_micros,
    unpriced_usages = s.unpriced_usages + excluded.unpriced_usages;
$$;
--> statement-breakpoint

-- Usage rows arrive a batch per statement: one call per statement, not per row.
CREATE FUNCTION aibridge_spend_inserted_usages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM aibridge_add_spend(
    array_agg(i.initiator_id), array_agg(i.started_at), array_agg(i.provider), array_agg(i.model),
    array_agg(i.client), array_agg(coalesce(u.input_tokens, 0)), array_agg(coalesce(u.output_tokens, 0)),
    array_agg(coalesce(u.cache_read_input_tokens, 0)), array_agg(coalesce(u.cache_write_input_tokens, 0)),
    array_agg(coalesce(u.cost_micros, 0)), array_agg(CASE WHEN u.cost_micros IS NULL THEN 1::bigint ELSE 0 END))
  FROM new_rows u JOIN aibridge_interceptions i ON i.id = u.interception_id
  HAVING count(*) > 0;
  RETURN NULL;
END $$;
--> statement-breakpoint

-- Retention deletes interceptions before their children (in one transaction): their usage is
-- subtracted while it can still be joined.
CREATE FUNCTION aibridge_spend_deleted_interceptions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM aibridge_add_spend(
    array_agg(i.initiator_id), array_agg(i.started_at), array_agg(i.provider), array_agg(i.model),
    array_agg(i.client), array_agg(-coalesce(u.input_tokens, 0)), array_agg(-coalesce(u.output_tokens, 0)),
    array_agg(-coalesce(u.cache_read_input_tokens, 0)), array_agg(-coalesce(u.cache_write_input_tokens, 0)),
    array_agg(-coalesce(u.cost_micros, 0)), array_agg(CASE WHEN u.cost_micros IS NULL THEN -1::bigint ELSE 0 END))
  FROM old_rows i JOIN aibridge_token_usages u ON u.interception_id = i.id
  HAVING count(*) > 0;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER aibridge_token_usages_spend_insert AFTER INSERT ON aibridge_token_usages
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_spend_inserted_usages();
--> statement-breakpoint
CREATE TRIGGER aibridge_interceptions_spend_delete AFTER DELETE ON aibridge_interceptions
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_spend_deleted_interceptions();
--> statement-breakpoint

-- Usage recorded before this migration: its tokens (it has no cost: it was never priced).
INSERT INTO aibridge_spend_daily (initiator_id, day, provider, model, client, input_tokens, output_tokens,
  cache_read_input_tokens, cache_write_input_tokens, cost_micros, unpriced_usages)
SELECT i.initiator_id, date_trunc('day', i.started_at, 'UTC'), i.provider, i.model, i.client,
  sum(coalesce(u.input_tokens, 0)), sum(coalesce(u.output_tokens, 0)), sum(coalesce(u.cache_read_input_tokens, 0)),
  sum(coalesce(u.cache_write_input_tokens, 0)), 0, count(*)
FROM aibridge_token_usages u JOIN aibridge_interceptions i ON i.id = u.interception_id
GROUP BY 1, 2, 3, 4, 5;
