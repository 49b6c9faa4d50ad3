-- No query reads it (none in two management bench runs over 1M rows); one index less per start insert.
DROP INDEX IF EXISTS "aibridge_interceptions_provider_idx";
