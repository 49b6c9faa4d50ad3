-- Custom SQL migration (drizzle-kit generate --custom): the per-initiator monthly spend rollup,
-- kept by the same function as the daily ones (drizzle/0008), filled from the daily one.
CREATE OR REPLACE FUNCTION aibridge_add_spend(
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
$$;
--> statement-breakpoint
INSERT INTO aibridge_spend_by_user_monthly (initiator_id, month, interceptions, input_tokens, output_tokens,
  cache_read_input_tokens, cache_write_input_tokens, cost_micros, unpriced_usages)
SELECT initiator_id, date_trunc('month', day, 'UTC'), sum(interceptions), sum(input_tokens), sum(output_tokens),
  sum(cache_read_input_tokens), sum(cache_write_input_tokens), sum(cost_micros), sum(unpriced_usages)
FROM aibridge_spend_by_user_daily GROUP BY 1, 2;
