import { extractCallerKey } from "../auth/caller-key";

/** Per-process seed: an outsider cannot precompute keys that collide with someone else's budget. */
const SEED = crypto.getRandomValues(new BigUint64Array(1))[0]!;

/**
 * The rate-limit budget a request draws from (SPEC §6): the caller's key, hashed (the raw key is never
 * kept), or else the client's IP (looked up only then). The same key shares one budget whichever header carried it.
 */
export function rateLimitKey(headers: Headers, clientIp: () => string | null): string {
  const caller = extractCallerKey(headers);
  if (caller) return `k:${Bun.hash.wyhash(caller.key, SEED).toString(36)}`;
  return `ip:${clientIp() || "unknown"}`;
}
