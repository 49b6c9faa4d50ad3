import postgres from "postgres";

import type { Logger } from "../observability/logger";

/** Sent by the database's own triggers (drizzle/0004) whenever a key or user changes. */
export const IDENTITY_CHANNEL = "aibridge_identity_changed";

/** The cache that must forget what changed (the identity pool). */
export interface IdentityCache {
  forgetUser(userId: string): void;
  forgetKey(keyId: string): void;
  forgetAll(): void;
}

/**
 * Applies identity-change notifications to this replica's cache (SPEC §16). Every LISTEN after the
 * first one means the connection was lost and notifications may have been missed meanwhile: the
 * whole cache is dropped, once per reconnection.
 */
export class IdentityChangeHandler {
  private listens = 0;

  constructor(
    private readonly cache: IdentityCache,
    private readonly logger: Pick<Logger, "info">,
  ) {}

  onListen(): void {
    if (this.listens++ === 0) return;
    this.cache.forgetAll();
    this.logger.info(
      "identity listener reconnected: cached identities dropped (changes may have been missed)",
    );
  }

  onNotify(payload: string): void {
    let change: { key_id?: unknown; user_id?: unknown } | null = null;
    try {
      change = JSON.parse(payload);
    } catch {}
    if (typeof change?.key_id === "string") this.cache.forgetKey(change.key_id);
    else if (typeof change?.user_id === "string") this.cache.forgetUser(change.user_id);
    // Not ours to understand (a newer version's payload?): forgetting everything is always safe.
    else this.cache.forgetAll();
  }
}

export interface IdentityListener {
  close(): Promise<void>;
}

/**
 * LISTENs on a dedicated PostgreSQL connection. postgres.js reconnects it by itself (with its
 * backoff) and LISTENs again, calling `onListen` each time: that is how a reconnection is noticed.
 * Only for PostgreSQL: the embedded database serves a single process, which invalidates directly.
 */
export async function listenForIdentityChanges(
  postgresUrl: string,
  cache: IdentityCache,
  logger: Pick<Logger, "info">,
): Promise<IdentityListener> {
  const handler = new IdentityChangeHandler(cache, logger);
  const sql = postgres(postgresUrl, {
    onnotice: () => {},
    debug: false,
    fetch_types: false,
    connect_timeout: 5,
    // As the main pool: retry promptly, at least once a second, while the database is away.
    backoff: (retries: number) => Math.min(0.025 * 2 ** retries, 1),
  });
  await sql.listen(
    IDENTITY_CHANNEL,
    (payload) => handler.onNotify(payload),
    () => handler.onListen(),
  );
  return { close: () => sql.end({ timeout: 1 }) };
}
