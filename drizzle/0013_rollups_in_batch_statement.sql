-- Custom SQL migration (drizzle-kit generate --custom): the recorder's batch statement keeps the
-- rollups itself (src/recorder/write-batch.ts), from what its own inserts and update return, and
-- says so for its transaction with set_config('aibridge.rollups_kept', 'on', true). The
-- per-statement triggers then leave its rows alone: they cost every batch transition tables, a
-- PL/pgSQL call per trigger and a second read of the rows just written (most of PostgreSQL's CPU
-- per request). Every other write (the crash sweep, retention, imports, manual fixes) is still
-- followed by the triggers, exactly as before.
--
-- The session merge, shared by both paths: one part per finished interception, grouped by
-- (initiator, session_id) and merged into the existing rows.
CREATE TYPE aibridge_session_part AS (
  initiator_id uuid, session_id text, id uuid, started_at timestamptz, ended_at timestamptz, client text,
  metadata jsonb, provider text, model text, thread_root boolean, input_tokens bigint, output_tokens bigint,
  cache_read_input_tokens bigint, cache_write_input_tokens bigint, cost_micros bigint,
  last_prompt text, last_prompt_at timestamptz, last_prompt_id uuid
);
--> statement-breakpoint
CREATE FUNCTION aibridge_merge_sessions(parts aibridge_session_part[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO aibridge_sessions AS s (initiator_id, session_id, started_at, ended_at, last_active_at,
    client, metadata, providers, models, interceptions, threads, input_tokens, output_tokens,
    cache_read_input_tokens, cache_write_input_tokens, cost_micros, last_prompt, last_prompt_at)
  SELECT p.initiator_id, p.session_id, min(p.started_at), max(p.ended_at), max(p.started_at),
    (array_agg(p.client ORDER BY p.started_at, p.id))[1],
    (array_agg(p.metadata ORDER BY p.started_at, p.id))[1],
    array_agg(DISTINCT p.provider COLLATE "C" ORDER BY p.provider COLLATE "C"),
    array_agg(DISTINCT p.model COLLATE "C" ORDER BY p.model COLLATE "C"),
    count(*), count(*) FILTER (WHERE p.thread_root),
    coalesce(sum(p.input_tokens), 0), coalesce(sum(p.output_tokens), 0),
    coalesce(sum(p.cache_read_input_tokens), 0), coalesce(sum(p.cache_write_input_tokens), 0),
    sum(p.cost_micros),
    (array_agg(p.last_prompt ORDER BY p.last_prompt_at DESC, p.last_prompt_id DESC)
      FILTER (WHERE p.last_prompt IS NOT NULL))[1],
    max(p.last_prompt_at)
  FROM unnest(parts) p
  GROUP BY p.initiator_id, p.session_id
  -- One lock order for every writer.
  ORDER BY p.initiator_id, p.session_id
  ON CONFLICT (initiator_id, session_id) DO UPDATE SET
    client = CASE WHEN excluded.started_at < s.started_at THEN excluded.client ELSE s.client END,
    metadata = CASE WHEN excluded.started_at < s.started_at THEN excluded.metadata ELSE s.metadata END,
    started_at = least(s.started_at, excluded.started_at),
    ended_at = greatest(s.ended_at, excluded.ended_at),
    last_active_at = greatest(s.last_active_at, excluded.last_active_at),
    providers = ARRAY(SELECT DISTINCT x COLLATE "C" FROM unnest(s.providers || excluded.providers) x ORDER BY 1),
    models = ARRAY(SELECT DISTINCT x COLLATE "C" FROM unnest(s.models || excluded.models) x ORDER BY 1),
    interceptions = s.interceptions + excluded.interceptions,
    threads = s.threads + excluded.threads,
    input_tokens = s.input_tokens + excluded.input_tokens,
    output_tokens = s.output_tokens + excluded.output_tokens,
    cache_read_input_tokens = s.cache_read_input_tokens + excluded.cache_read_input_tokens,
    cache_write_input_tokens = s.cache_write_input_tokens + excluded.cache_write_input_tokens,
    -- Null while nothing was priced.
    cost_micros = CASE WHEN s.cost_micros IS NULL THEN excluded.cost_micros
      WHEN excluded.cost_micros IS NULL THEN s.cost_micros ELSE s.cost_micros + excluded.cost_micros END,
    last_prompt = CASE WHEN excluded.last_prompt_at IS NOT NULL
        AND (s.last_prompt_at IS NULL OR excluded.last_prompt_at >= s.last_prompt_at)
      THEN excluded.last_prompt ELSE s.last_prompt END,
    last_prompt_at = greatest(s.last_prompt_at, excluded.last_prompt_at);
END $$;
--> statement-breakpoint
-- The trigger path: the parts read from the tables.
CREATE OR REPLACE FUNCTION aibridge_add_to_sessions(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  SELECT aibridge_merge_sessions(array_agg(ROW(i.initiator_id, i.session_id, i.id, i.started_at, i.ended_at,
    i.client, i.metadata, i.provider, i.model, i.thread_root_id IS NULL, u.input_tokens, u.output_tokens,
    u.cache_read_input_tokens, u.cache_write_input_tokens, u.cost_micros, p.prompt, p.created_at, p.id
  )::aibridge_session_part))
  FROM aibridge_interceptions i
  LEFT JOIN LATERAL (
    SELECT sum(t.input_tokens) AS input_tokens, sum(t.output_tokens) AS output_tokens,
      sum(t.cache_read_input_tokens) AS cache_read_input_tokens,
      sum(t.cache_write_input_tokens) AS cache_write_input_tokens, sum(t.cost_micros) AS cost_micros
    FROM aibridge_token_usages t WHERE t.interception_id = i.id
  ) u ON true
  LEFT JOIN LATERAL (
    SELECT up.prompt, up.created_at, up.id FROM aibridge_user_prompts up
    WHERE up.interception_id = i.id ORDER BY up.created_at DESC, up.id DESC LIMIT 1
  ) p ON true
  WHERE i.id = ANY(ids) AND i.ended_at IS NOT NULL
  HAVING count(*) > 0;
$$;
--> statement-breakpoint
-- The rollup functions in PL/pgSQL (same bodies as drizzle/0002 and 0012): a SQL function's
-- statements are planned anew on every call, a PL/pgSQL function's once per connection, and the
-- batch statement calls them once per batch.
CREATE OR REPLACE FUNCTION aibridge_add_interception_counts(initiators uuid[], started timestamptz[], providers text[], models text[], clients text[], deltas bigint[])
 RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WITH d AS (
    SELECT * FROM unnest(initiators, started, providers, models, clients, deltas)
      AS d(initiator_id, started_at, provider, model, client, n)
  ), hourly AS (
    INSERT INTO aibridge_interception_counts AS c (bucket, provider, model, client, interceptions)
    SELECT date_trunc('hour', started_at, 'UTC'), provider, model, client, sum(n)
    FROM d GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (bucket, provider, model, client)
    DO UPDATE SET interceptions = c.interceptions + excluded.interceptions
  )
  INSERT INTO aibridge_interception_counts_by_initiator AS c
    (initiator_id, bucket, provider, model, client, interceptions)
  SELECT initiator_id, date_trunc('day', started_at, 'UTC'), provider, model, client, sum(n)
  FROM d GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (initiator_id, bucket, provider, model, client)
  DO UPDATE SET interceptions = c.interceptions + excluded.interceptions;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION aibridge_add_spend(initiators uuid[], started timestamptz[], providers text[], models text[], clients text[], counts bigint[], inputs bigint[], outputs bigint[], reads bigint[], writes bigint[], costs bigint[], unpriced bigint[])
 RETURNS void LANGUAGE plpgsql AS $$
BEGIN
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
  ), by_user_month AS (
    INSERT INTO aibridge_spend_by_user_monthly AS s (initiator_id, month, interceptions,
      input_tokens, output_tokens, cache_read_input_tokens, cache_write_input_tokens, cost_micros, unpriced_usages)
    SELECT initiator_id, date_trunc('month', day, 'UTC'), sum(n), sum(i), sum(o), sum(r), sum(w), sum(c), sum(u)
    FROM d GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (initiator_id, month) DO UPDATE SET
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
END $$;
--> statement-breakpoint
CREATE FUNCTION aibridge_rollups_kept() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('aibridge.rollups_kept', true), '') = 'on';
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION aibridge_count_changed_interceptions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF aibridge_rollups_kept() THEN RETURN NULL; END IF;
    PERFORM aibridge_add_interception_counts(
      array_agg(initiator_id), array_agg(started_at), array_agg(provider), array_agg(model),
      array_agg(client), array_agg(n))
    FROM (
      SELECT initiator_id, started_at, provider, model, client, 1::bigint AS n
      FROM new_rows WHERE ended_at IS NOT NULL
      UNION ALL
      SELECT initiator_id, started_at, provider, model, client, -1::bigint
      FROM old_rows WHERE ended_at IS NOT NULL
    ) changed;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM aibridge_add_interception_counts(
      array_agg(initiator_id), array_agg(started_at), array_agg(provider), array_agg(model),
      array_agg(client), array_agg(-1::bigint))
    FROM old_rows WHERE ended_at IS NOT NULL;
  ELSE
    DELETE FROM aibridge_interception_counts;
    DELETE FROM aibridge_interception_counts_by_initiator;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION aibridge_spend_inserted_usages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF aibridge_rollups_kept() THEN RETURN NULL; END IF;
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
CREATE OR REPLACE FUNCTION aibridge_spend_changed_interceptions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM aibridge_add_spend(
      ARRAY[NEW.initiator_id], ARRAY[NEW.started_at], ARRAY[NEW.provider], ARRAY[NEW.model], ARRAY[NEW.client],
      ARRAY[1::bigint], ARRAY[0::bigint], ARRAY[0::bigint], ARRAY[0::bigint], ARRAY[0::bigint], ARRAY[0::bigint],
      ARRAY[0::bigint]);
  ELSIF TG_OP = 'UPDATE' THEN
    IF aibridge_rollups_kept() THEN RETURN NULL; END IF;
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
-- Inserts are followed row by row, and only for rows inserted already finished (imports, tests):
-- the start inserts on every request's path no longer build a transition table for this trigger.
CREATE OR REPLACE FUNCTION aibridge_sessions_follow_interceptions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM aibridge_add_to_sessions(ARRAY[NEW.id]);
  ELSIF TG_OP = 'UPDATE' THEN
    IF aibridge_rollups_kept() THEN RETURN NULL; END IF;
    PERFORM aibridge_add_to_sessions(array_agg(n.id))
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.ended_at IS NOT NULL AND o.ended_at IS NULL;
  ELSIF TG_OP = 'DELETE' THEN
    DELETE FROM aibridge_sessions s
    USING (SELECT DISTINCT initiator_id, session_id FROM old_rows WHERE ended_at IS NOT NULL) g
    WHERE s.initiator_id = g.initiator_id AND s.session_id = g.session_id;
    PERFORM aibridge_add_to_sessions(array_agg(i.id))
    FROM aibridge_interceptions i
    JOIN (SELECT DISTINCT initiator_id, session_id FROM old_rows WHERE ended_at IS NOT NULL) g
      ON i.session_id = g.session_id AND i.initiator_id = g.initiator_id;
  ELSE
    DELETE FROM aibridge_sessions;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER aibridge_interceptions_sessions_insert ON aibridge_interceptions;
--> statement-breakpoint
CREATE TRIGGER aibridge_interceptions_sessions_insert AFTER INSERT ON aibridge_interceptions
  FOR EACH ROW WHEN (NEW.ended_at IS NOT NULL) EXECUTE FUNCTION aibridge_sessions_follow_interceptions();
