-- Custom SQL migration (drizzle-kit generate --custom): the session rollup (SPEC §14) kept exact by
-- triggers, the way 0002 keeps the interception counts.

-- Adds finished interceptions to their sessions: grouped by (initiator, session_id), merged into
-- existing rows. Read from the table (not the trigger's transition rows) so that the token usages
-- and prompts written by the same statement as the end are seen.
CREATE FUNCTION aibridge_add_to_sessions(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO aibridge_sessions AS s (initiator_id, session_id, started_at, ended_at, last_active_at,
    client, metadata, providers, models, interceptions, threads, input_tokens, output_tokens,
    cache_read_input_tokens, cache_write_input_tokens, cost_micros, last_prompt, last_prompt_at)
  SELECT i.initiator_id, i.session_id, min(i.started_at), max(i.ended_at), max(i.started_at),
    (array_agg(i.client ORDER BY i.started_at, i.id))[1],
    (array_agg(i.metadata ORDER BY i.started_at, i.id))[1],
    array_agg(DISTINCT i.provider COLLATE "C" ORDER BY i.provider COLLATE "C"),
    array_agg(DISTINCT i.model COLLATE "C" ORDER BY i.model COLLATE "C"),
    count(*), count(*) FILTER (WHERE i.thread_root_id IS NULL),
    coalesce(sum(u.input_tokens), 0), coalesce(sum(u.output_tokens), 0),
    coalesce(sum(u.cache_read_input_tokens), 0), coalesce(sum(u.cache_write_input_tokens), 0),
    sum(u.cost_micros),
    (array_agg(p.prompt ORDER BY p.created_at DESC, p.id DESC) FILTER (WHERE p.prompt IS NOT NULL))[1],
    max(p.created_at)
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
  GROUP BY i.initiator_id, i.session_id
  -- One lock order for every writer.
  ORDER BY i.initiator_id, i.session_id
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
$$;
--> statement-breakpoint

-- Per statement: rows inserted finished (imports, tests: a whole statement at once), ends (a batch
-- at a time, the crash sweep) and deletes (retention), after which the touched sessions are rebuilt
-- from what remains. Interceptions are inserted unfinished: for those inserts (on every request's
-- path) the trigger only looks through the statement's own rows and returns.
CREATE FUNCTION aibridge_sessions_follow_interceptions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM new_rows WHERE ended_at IS NOT NULL) THEN
      PERFORM aibridge_add_to_sessions(array_agg(id)) FROM new_rows WHERE ended_at IS NOT NULL;
    END IF;
  ELSIF TG_OP = 'UPDATE' THEN
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
CREATE TRIGGER aibridge_interceptions_sessions_insert AFTER INSERT ON aibridge_interceptions
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_sessions_follow_interceptions();
--> statement-breakpoint
CREATE TRIGGER aibridge_interceptions_sessions_update AFTER UPDATE ON aibridge_interceptions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_sessions_follow_interceptions();
--> statement-breakpoint
CREATE TRIGGER aibridge_interceptions_sessions_delete AFTER DELETE ON aibridge_interceptions
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_sessions_follow_interceptions();
--> statement-breakpoint
CREATE TRIGGER aibridge_interceptions_sessions_truncate AFTER TRUNCATE ON aibridge_interceptions
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_sessions_follow_interceptions();
--> statement-breakpoint

-- Existing rows. The triggers above already hold the table's lock, so no write slips in between.
SELECT aibridge_add_to_sessions(array_agg(id)) FROM aibridge_interceptions WHERE ended_at IS NOT NULL;
