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
  constructor(
    private readonly db: Db,
    private readonly pool: TtlCache<CachedIdentity>,
    private readonly now: () => number = Date.now,
    private readonly onTouchError: (error: unknown) => void = () => {},
  ) {}

  async resolve(key: string): Promise<ResolveResult> {
    const parsed = parseApiKey(key);
    if (!parsed) return { ok: false, reason: "Invalid API key format." };
    let cached = this.pool.get(parsed.id);
    if (!cached) {
      const row = await findApiKeyWithUser(this.db, parsed.id);
      if (!row) return { ok: false, reason: "Invalid API key." };
      cached = {
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
      this.pool.set(parsed.id, cached);
    }
    if (!secretMatches(parsed.secret, cached.hashedSecret)) return { ok: false, reason: "Invalid API key." };
    const now = this.now();
    if (cached.expiresAt <= now) return { ok: false, reason: "API key expired." };
    if (cached.status !== "active") return { ok: false, reason: "User is suspended." };
    if (now - cached.lastUsedAt >= TOUCH_EVERY_MS) {
      cached.lastUsedAt = now;
      touchApiKey(this.db, parsed.id, new Date(now)).catch(this.onTouchError);
    }
    return { ok: true, identity: cached.identity };
  }

  /** Called when a user changes (suspension, role) so the next request sees it. */
  forgetUser(userId: string): void {
    this.pool.deleteWhere((c) => c.identity.userId === userId);
  }

  forgetKey(keyId: string): void {
    this.pool.delete(keyId);
  }
}
