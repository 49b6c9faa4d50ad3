-- Custom SQL migration (drizzle-kit generate --custom): what the Drizzle schema cannot express.

-- Room on each page for the one update every interception gets (ended_at), so that it is a
-- heap-only (HOT) update: no index (none covers ended_at) has to learn about the new row version.
ALTER TABLE "aibridge_interceptions" SET (fillfactor = 50);
--> statement-breakpoint

-- Adds finished-interception counts (negative to remove) to both rollups, one row per key.
CREATE FUNCTION aibridge_add_interception_counts(
  initiators uuid[], started timestamptz[], providers text[], models text[], clients text[], deltas bigint[]
) RETURNS void LANGUAGE sql AS $$
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
$$;
--> statement-breakpoint

-- Interceptions are inserted unfinished: the trigger's WHEN clause keeps that insert (on every
-- request's path) free of any trigger call. Rows inserted already finished (imports, tests) are
-- counted one by one.
CREATE FUNCTION aibridge_count_inserted_interception() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM aibridge_add_interception_counts(
    ARRAY[NEW.initiator_id], ARRAY[NEW.started_at], ARRAY[NEW.provider], ARRAY[NEW.model],
    ARRAY[NEW.client], ARRAY[1::bigint]);
  RETURN NULL;
END $$;
--> statement-breakpoint

-- Counted per statement: updates (ended_at being set, a batch at a time) and deletes (retention).
CREATE FUNCTION aibridge_count_changed_interceptions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
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
CREATE TRIGGER aibridge_interceptions_count_insert AFTER INSERT ON aibridge_interceptions
  FOR EACH ROW WHEN (NEW.ended_at IS NOT NULL) EXECUTE FUNCTION aibridge_count_inserted_interception();
--> statement-breakpoint
CREATE TRIGGER aibridge_interceptions_count_update AFTER UPDATE ON aibridge_interceptions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_count_changed_interceptions();
--> statement-breakpoint
CREATE TRIGGER aibridge_interceptions_count_delete AFTER DELETE ON aibridge_interceptions
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_count_changed_interceptions();
--> statement-breakpoint
CREATE TRIGGER aibridge_interceptions_count_truncate AFTER TRUNCATE ON aibridge_interceptions
  FOR EACH STATEMENT EXECUTE FUNCTION aibridge_count_changed_interceptions();
--> statement-breakpoint

-- Existing rows. The triggers above already hold the table's lock, so no write slips in between.
SELECT aibridge_add_interception_counts(
  array_agg(initiator_id), array_agg(started_at), array_agg(provider), array_agg(model),
  array_agg(client), array_agg(1::bigint))
FROM aibridge_interceptions WHERE ended_at IS NOT NULL;
