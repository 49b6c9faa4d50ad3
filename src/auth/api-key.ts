import { randomBytes, timingSafeEqual } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ID_LENGTH = 10;
const SECRET_LENGTH = 22;
const KEY_PATTERN = /^([A-Za-z0-9]{10})-([A-Za-z0-9]{22})$/;

function randomString(length: number): string {
  // 248 = 4 * 62: rejecting bytes above it keeps every character equally likely.
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export interface NewApiKey {
  id: string;
  secret: string;
  /** `{id}-{secret}`: shown to the user once, never stored. */
  key: string;
  hashedSecret: Uint8Array;
}

export function generateApiKey(): NewApiKey {
  const id = randomString(ID_LENGTH);
  const secret = randomString(SECRET_LENGTH);
  return { id, secret, key: `${id}-${secret}`, hashedSecret: hashSecret(secret) };
}

export function parseApiKey(key: string): { id: string; secret: string } | null {
  const match = KEY_PATTERN.exec(key);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

// A well-formed key anywhere in a text: not part of a longer run of key-like characters, so the
// segments of a provider key (`sk-ant-api03-…`) never look like one.
const KEY_IN_TEXT = /(?:^|[^A-Za-z0-9_-])[A-Za-z0-9]{10}-[A-Za-z0-9]{22}(?![A-Za-z0-9_-])/;

/** Whether a text (a header value) holds an aibridge key: `callerKey` or any well-formed one (SPEC §13). */
export function holdsApiKey(text: string, callerKey?: string): boolean {
  if (text.length < ID_LENGTH + 1 + SECRET_LENGTH) return false;
  return KEY_IN_TEXT.test(text) || (callerKey !== undefined && callerKey !== "" && text.includes(callerKey));
}

export function hashSecret(secret: string): Uint8Array {
  return Bun.SHA256.hash(secret) as Uint8Array;
}

export function secretMatches(secret: string, hashed: Uint8Array): boolean {
  const candidate = hashSecret(secret);
  return candidate.length === hashed.length && timingSafeEqual(candidate, hashed);
}

/** First and last n characters joined by `...` (SPEC §5.2), so a secret can be recognised, not used. */
export function maskSecret(secret: string): string {
  const n = secret.length >= 20 ? 4 : secret.length >= 10 ? 2 : secret.length >= 5 ? 1 : 0;
  return n === 0 ? "..." : `${secret.slice(0, n)}...${secret.slice(-n)}`;
}
