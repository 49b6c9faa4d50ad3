import type { Db } from "../db/engine";
import { insertApiKey } from "../db/users";
import { generateApiKey } from "./api-key";

export const DEFAULT_KEY_LIFETIME_MS = 720 * 3_600_000;
/** As the reference's longest token lifetime: 100 years. Beyond it, expiry dates stop being dates. */
export const MAX_KEY_LIFETIME = "876600h";
export const MAX_KEY_LIFETIME_MS = 876_600 * 3_600_000;

/** Creates an API key for a user; the returned `key` is the only time the secret exists in clear. */
export async function issueApiKey(
  db: Db,
  userId: string,
  options: { name?: string; lifetimeMs?: number; now?: number } = {},
) {
  const generated = generateApiKey();
  const expiresAt = new Date((options.now ?? Date.now()) + (options.lifetimeMs ?? DEFAULT_KEY_LIFETIME_MS));
  const row = await insertApiKey(db, {
    id: generated.id,
    userId,
    hashedSecret: generated.hashedSecret,
    name: options.name ?? "",
    expiresAt,
  });
  return { id: row.id, name: row.name, expiresAt: row.expiresAt, key: generated.key };
}
