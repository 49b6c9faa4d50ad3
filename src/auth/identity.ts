import type { Db } from "../db/engine";
import type { Role, UserStatus } from "../db/schema";
import { findApiKeyWithUser, touchApiKey } from "../db/users";
import { parseApiKey, secretMatches } from "./api-key";
import type { TtlCache } from "./pool";

export interface Identity {
  userId: string;
  username: string;
  name: string;
  role: Role;
  apiKeyId: string;
}

export interface CachedIdentity {
  identity: Identity;
  status: UserStatus;
  hashedSecret: Uint8Array;
  expiresAt: number;
  lastUsedAt: number;
}

export type ResolveResult = { ok: true; identity: Identity } | { ok: false; reason: string };

// last_used_at is advisory: writing it on every request would put a write on the hot path.
const TOUCH_EVERY_MS = 60_000;

/** Verifies aibridge API keys, keeping resolved identities warm in the pool (SPEC §5.1, §5.3). */
export class IdentityResolver {
  /** Lookups under way, by key id: a burst of first requests with one key shares one. */
  private readonly loading = new Map<string, Promise<CachedIdentity | null>>();
  private readonly touches = new Set<Promise<void>>();
  /** Bumped by every invalidation: a lookup that started before one must not cache what it read. */
  private generation = 0;

  constructor(
    private readonly db: Db,
    private readonly pool: TtlCache<CachedIdentity>,
    private readonly now: () => number = Date.now,
    private readonly onTouchError: (error: unknown) => void = () => {},
  ) {}

  async resolve(key: string): Promise<ResolveResult> {
    const parsed = parseApiKey(key);
    if (!parsed) return { ok: false, reason: "Invalid API key format." };
    const cached = this.pool.get(parsed.id) ?? (await this.load(parsed.id));
    if (!cached) return { ok: false, reason: "Invalid API key." };
    if (!secretMatches(parsed.secret, cached.hashedSecret)) return { ok: false, reason: "Invalid API key." };
    const now = this.now();
    if (cached.expiresAt <= now) return { ok: false, reason: "API key expired." };
    if (cached.status !== "active") return { ok: false, reason: "User is suspended." };
    if (now - cached.lastUsedAt >= TOUCH_EVERY_MS) {
      cached.lastUsedAt = now;
      this.touch(parsed.id, new Date(now));
    }
    return { ok: true, identity: cached.identity };
  }

  /** Resolves once every last-used write already started has ended (shutdown waits for them). */
  async settled(): Promise<void> {
    while (this.touches.size > 0) await Promise.all(this.touches);
  }

  private load(id: string): Promise<CachedIdentity | null> {
    let loading = this.loading.get(id);
    if (!loading) {
      const started = this.lookUp(id).finally(() => {
        // An invalidation may have replaced it with a newer lookup meanwhile.
        if (this.loading.get(id) === started) this.loading.delete(id);
      });
      this.loading.set(id, started);
      loading = started;
    }
    return loading;
  }

  private async lookUp(id: string): Promise<CachedIdentity | null> {
    const generation = this.generation;
    const row = await findApiKeyWithUser(this.db, id);
    if (!row) return null;
    const cached: CachedIdentity = {
      identity: {
        userId: row.user.id,
        username: row.user.username,
        name: row.user.name,
        role: row.user.role,
        apiKeyId: row.key.id,
      },
      status: row.user.status,
      hashedSecret: row.key.hashedSecret,
      expiresAt: row.key.expiresAt.getTime(),
      lastUsedAt: row.key.lastUsedAt?.getTime() ?? 0,
    };
    if (generation === this.generation) this.pool.set(id, cached);
    return cached;
  }

  private touch(id: string, at: Date): void {
    const touching = touchApiKey(this.db, id, at)
      .catch(this.onTouchError)
      .finally(() => this.touches.delete(touching));
    this.touches.add(touching);
  }

  /**
   * Called when a user changes (suspension, role) so the next request sees it: by the API on this
   * replica, and for every replica by the identity-change listener (SPEC §16).
   */
  forgetUser(userId: string): void {
    this.invalidate();
    this.pool.deleteWhere((c) => c.identity.userId === userId);
  }

  forgetKey(keyId: string): void {
    this.invalidate();
    this.pool.delete(keyId);
  }

  /** Forgets every cached identity (changes may have been missed, e.g. while disconnected). */
  forgetAll(): void {
    this.invalidate();
    this.pool.clear();
  }

  /**
   * Lookups under way may have read the row before the change: they still answer the requests
   * that joined them (those raced the change), but cache nothing, and later requests look up afresh.
   */
  private invalidate(): void {
    this.generation++;
    this.loading.clear();
  }
}
