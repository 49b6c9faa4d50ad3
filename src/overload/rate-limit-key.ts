import { extractCallerKey } from "../auth/caller-key";

/** Names the budget a request draws from. */
export type RateLimitKeyOf = (headers: Headers, clientIp: () => string | null) => string;

/**
 * The rate-limit budget a request draws from (SPEC §6): the caller's key, hashed (the raw key is never
 * kept), or else the client's IP (looked up only then). The same key shares one budget whichever header carried it.
 */
function budgetKey(hash: (callerKey: string) => string): RateLimitKeyOf {
  return (headers, clientIp) => {
    const caller = extractCallerKey(headers);
    if (caller) return `k:${hash(caller.key)}`;
    return `ip:${clientIp() || "unknown"}`;
  };
}

/** Per-process seed: an outsider cannot precompute keys that collide with someone else's budget. */
const SEED = crypto.getRandomValues(new BigUint64Array(1))[0]!;

/** For the in-process limiter: a fast seeded hash. */
export const rateLimitKey = budgetKey((key) => Bun.hash.wyhash(key, SEED).toString(36));

/**
 * For the limiter shared through Redis (SPEC §16): every replica must name a key's budget alike, and
 * a per-process seed cannot be shared, so the key is hashed with SHA-256 (132 bits kept) instead;
 * no outsider can find a collision either way.
 */
export const sharedRateLimitKey = budgetKey((key) =>
  new Bun.CryptoHasher("sha256").update(key).digest("base64url").slice(0, 22),
);
