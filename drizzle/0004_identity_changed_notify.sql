-- Custom SQL migration (drizzle-kit generate --custom): identity changes announced to every replica
-- (SPEC §16). Each replica LISTENs on aibridge_identity_changed and drops what it cached about the
-- key or user named in the payload. Triggers, not application code, send it: a change made by any
-- replica, the CLI or plain SQL is announced alike, and only once its transaction commits.

CREATE FUNCTION aibridge_notify_identity_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'api_keys' THEN
    PERFORM pg_notify('aibridge_identity_changed', json_build_object('key_id', OLD.id)::text);
  ELSE
    PERFORM pg_notify('aibridge_identity_changed', json_build_object('user_id', OLD.id)::text);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint

CREATE TRIGGER api_keys_deleted_notify AFTER DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION aibridge_notify_identity_changed();
--> statement-breakpoint

-- last_used_at is written about once a minute per key in use: that update announces nothing.
CREATE TRIGGER api_keys_changed_notify AFTER UPDATE ON api_keys
  FOR EACH ROW WHEN (
    OLD.hashed_secret IS DISTINCT FROM NEW.hashed_secret
    OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
    OR OLD.user_id IS DISTINCT FROM NEW.user_id
  ) EXECUTE FUNCTION aibridge_notify_identity_changed();
--> statement-breakpoint

CREATE TRIGGER users_deleted_notify AFTER DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION aibridge_notify_identity_changed();
--> statement-breakpoint

-- What a cached identity holds: role and status (authorization), username and name (records, actor headers).
CREATE TRIGGER users_changed_notify AFTER UPDATE ON users
  FOR EACH ROW WHEN (
    OLD.role IS DISTINCT FROM NEW.role
    OR OLD.status IS DISTINCT FROM NEW.status
    OR OLD.username IS DISTINCT FROM NEW.username
    OR OLD.name IS DISTINCT FROM NEW.name
  ) EXECUTE FUNCTION aibridge_notify_identity_changed();
