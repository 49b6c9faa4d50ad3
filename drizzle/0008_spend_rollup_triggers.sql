-- Custom SQL migration (drizzle-kit generate --custom): every spend rollup (SPEC §15) kept exact,
-- finished interceptions counted in them too, so a month's spend reads only the narrowest rollup
-- that can answer it. Replaces the single-rollup triggers of 0006.
DROP TRIGGER aibridge_token_usages_spend_insert ON aibridge_token_usages;
--> statement-breakpoint
DROP TRIGGER aibridge_interceptions_spend_delete ON aibridge_interceptions;
--> statement-breakpoint
DROP FUNCTION aibridge_spend_inserted_usages();
--> statement-breakpoint
DROP FUNCTION aibridge_spend_deleted_interceptions();
--> statement-breakpoint
DROP FUNCTION aibridge_add_spend(uuid[], timestamptz[], text[], text[], text[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[]);
--> statement-breakpoint

-- Adds deltas (negative to remove) to the three rollups, keyed by the interception's initiator, UTC
-- day of its start and (provider, model, client).
CREATE FUNCTION aibridge_add_spend(
  initiators uuid[], started timestamptz[], providers text[], models text[], clients text[], counts bigint[],
  inputs bigint[], outputs bigint[], reads bigint[], writes bigint[], costs bigint[], unpriced bigint[]
) RETURNS void LANGUAGE sql AS $$
  WITH d AS (
    SELECT initiator_id, date_trunc('day', started_at, 'UTC') AS day, provider, model, client, n, i, o, r, w, c, u
    FROM unnest(initiators, started, providers, models, clients, counts, inputs, outputs, reads, writes, costs, unpriced)
      AS d(initiator_id, started_at, provider, model, client, n, i, o, r, w, c, u)
  ), full_key AS (
    INSERT INTO aibridge_spend_daily AS s (initiator_id, day, provider, model, client, interceptions,
      input_tokens, output_tokens, cache_read_input_tokens, cache_write_input_tokens, cost_micros, unpriced_usages)
    SELECT initiator_id, day, provider, model, client, sum(n), sum(i), sum(o), sum(r), sum(w), sum(c), sum(u)
    FROM d GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (initiator_id, day, provider, model, client) DO UPDATE SET
      interceptions = s.interceptions + excluded.interceptions,
      input_tokens = s.input_tokens + excluded.input_tokens,
      output_tokens = s.output_tokens + excluded.output_tokens,
      cache_read_input_tokens = s.cache_read_input_tokens + excluded.cache_read_input_tokens,
      cache_write_input_tokens = s.cache_write_input_tokens + excluded.cache_write_input_tokens,
      cost_micros = s.cost_micros + excluded.cost_micros,
      unpriced_usages = s.unpriced_usages + excluded.unpriced_usages
  ), by_user AS (
    INSERT INTO aibridge_spend_by_user_daily AS s (initiator_id, day, interceptions,
      input_tokens, output_tokens, cache_read_input_tokens, cache_write_input_tokens, cost_micros, unpriced_usages)
    SELECT initiator_id, day, sum(n), sum(i), sum(o), sum(r), sum(w), sum(c), sum(u)
    FROM d GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (initiator_id, day) DO UPDATE SET
      interceptions = s.interceptions + excluded.interceptions,
      input_tokens = s.input_tokens + excluded.input_tokens,
      output_tokens = s.output_tokens + excluded.output_tokens,
      cache_read_input_tokens = s.cache_read_input_tokens + excluded.cache_read_input_tokens,
      cache_write_input_tokens = s.cache_write_input_tokens + excluded.cache_write_input_tokens,
      cost_micros = s.cost_micros + excluded.cost_micros,
      unpriced_usages = s.unpriced_usages + excluded.unpriced_usages
  )
  INSERT INTO aibridge_spend_by_model_daily AS s (day, provider, model, client, interceptions,
    input_tokens, output_tokens, cache_read_input_tokens, cache_write_input_tokens, cost_micros, unpriced_usages)
  SELECT day, provider, model, client, sum(n), sum(i), sum(o), sum(r), sum(w), sum(c), sum(u)
  FROM d GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (day, provider, model, client) DO UPDATE SET
    interceptions = s.interceptions + excluded.interceptions,
    input_tokens = s.input_tokens + excluded.input_tokens,
    output_tokens = s.output_tokens + excluded.output_tokens,
    cache_read_input_tokens = s.cache_read_input_tokens + excluded.cache_read_input_tokens,
    cache_write_input_tokens = s.cache_write_input_tokens + excluded.cache_write_input_tokens,
    cost_micros = s.cost_micros + excluded.cost_micros,
    unpriced_usages = s.unpriced_usages + excluded.unpriced_usages;
$$;
--> statement-breakpoint

-- Usage rows arrive a batch per statement: their sums, counted once per statement.
CREATE FUNCTION aibridge_spend_inserted_usages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM aibridge_add_spend(
    array_agg(i.initiator_id), array_agg(i.started_at), array_agg(i.provider), array_agg(i.model),
    array_agg(i.client), array_agg(0::bigint), array_agg(coalesce(u.input_tokens, 0)),
    array_agg(coalesce(u.output_tokens, 0)), array_agg(coalesce(u.cache_read_input_tokens, 0)),
    array_agg(coalesce(u.cache_write_input_tokens, 0)), array_agg(coalesce(u.cost_micros, 0)),
    array_agg(CASE WHEN u.cost_micros IS NULL THEN 1::bigint ELSE 0 END))
  FROM new_rows u JOIN aibridge_interceptions i ON i.id = u.interception_id
  HAVING count(*) > 0;
  RETURN NULL;
END $$;
--> statement-breakpoint

-- Finished interceptions are counted as they end (a batch of ends per statement), as inserted
-- already finished (imports, tests), and uncounted with their usage when deleted (retention deletes
-- interceptions before their children, in one transaction, so the usage can still be joined).
CREATE FUNCTION aibridge_spend_changed_interceptions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM aibridge_add_spend(
      ARRAY[NEW.initiator_id], ARRAY[NEW.started_at], ARRAY[NEW.provider], ARRAY[NEW.model], ARRAY[NEW.client],
      ARRAY[1::bigint], ARRAY[0::bigint], ARRAY[0::bigint], ARRAY[0::bigint], ARRAY[0::bigint], ARRAY[0::bigint],
      ARRAY[0::bigint]);
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM aibridge_add_spend(
      array_agg(initiator_id), array_agg(started_at), array_agg(provider), array_agg(model), array_agg(client),
      array_agg(n), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint), array_agg(0::bigint),
      array_agg(0::bigint), array_agg(0::bigint))
    FROM (
      SELECT n.initiator_id, n.started_at, n.provider, n.model, n.client, 1::bigint AS n
      FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id
      WHERE n.ended_at IS NOT NULL AND o.ended_at IS NULL
      UNION ALL
      SELECT o.initiator_id, o.started_at, o.provider, o.model, o.client, -1::bigint
      FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id
      WHERE o.ended_at IS NOT NULL AND n.ended_at IS NULL
    ) changed
    HAVING count(*) > 0;
  ELSE
    PERFORM aibridge_add_spend(
      array_agg(i.initiator_id), array_agg(i.started_at), array_agg(i.provider), array_agg(i.model),
      array_agg(i.client), array_agg(CASE WHEN i.ended_at IS NULL THEN 0::bigint ELSE -1::bigint END),
      array_agg(-coalesce(s.i, 0)), array_agg(-coalesce(s.o, 0)), array_agg(-coalesce(s.r, 0)),
      array_agg(-coalesce(s.w, 0)), array_agg(-coalesce(s.c, 0)), array_agg(-coalesce(s.u, 0)))
    FROM old_rows i LEFT JOIN LATERAL (
      SELECT sum(coalesce(u.input_tokens, 0))::bigint AS i, sum(coalesce(u.output_tokens, 0))::bigint AS o,
        sum(coalesce(u.cache_read_input_tokens, 0))::bigint AS r,
        sum(coalesce(u.cache_write_input_tokens, 0))::bigint AS w,
        sum(coalesce(u.cost_micros, 0))::bigint AS c, count(*) - count(u.cost_micros) AS u
      FROM aibridge_token_usages u WHERE u.interception_id = i.id
    ) s ON true
    HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER aibridge_token_usages_spend_insert AFTER INSERT ON aibridge_token_usages
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_spend_inserted_usages();
--> statement-breakpoint
CREATE TRIGGER aibridge_interceptions_spend_insert AFTER INSERT ON aibridge_interceptions
  FOR EACH ROW WHEN (NEW.ended_at IS NOT NULL) EXECUTE FUNCTION aibridge_spend_changed_interceptions();
--> statement-breakpoint
CREATE TRIGGER aibridge_interceptions_spend_update AFTER UPDATE ON aibridge_interceptions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_spend_changed_interceptions();
--> statement-breakpoint
CREATE TRIGGER aibridge_interceptions_spend_delete AFTER DELETE ON aibridge_interceptions
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_spend_changed_interceptions();
--> statement-breakpoint

-- Everything recorded so far, in all three rollups.
DELETE FROM aibridge_spend_daily;
--> statement-breakpoint
SELECT aibridge_add_spend(
  array_agg(initiator_id), array_agg(started_at), array_agg(provider), array_agg(model), array_agg(client),
  array_agg(n), array_agg(i), array_agg(o), array_agg(r), array_agg(w), array_agg(c), array_agg(u))
FROM (
  SELECT initiator_id, started_at, provider, model, client, 1::bigint AS n, 0::bigint AS i, 0::bigint AS o,
    0::bigint AS r, 0::bigint AS w, 0::bigint AS c, 0::bigint AS u
  FROM aibridge_interceptions WHERE ended_at IS NOT NULL
  UNION ALL
  SELECT x.initiator_id, x.started_at, x.provider, x.model, x.client, 0, coalesce(t.input_tokens, 0),
    coalesce(t.output_tokens, 0), coalesce(t.cache_read_input_tokens, 0), coalesce(t.cache_write_input_tokens, 0),
    coalesce(t.cost_micros, 0), CASE WHEN t.cost_micros IS NULL THEN 1::bigint ELSE 0::bigint END
  FROM aibridge_token_usages t JOIN aibridge_interceptions x ON x.id = t.interception_id
) recorded;
