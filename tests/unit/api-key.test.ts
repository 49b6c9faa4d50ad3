import { describe, expect, test } from "bun:test";

import { generateApiKey, hashSecret, maskSecret, parseApiKey, secretMatches } from "../../src/auth/api-key";

describe("API keys", () => {
  test("look like {10-char id}-{22-char secret} and are unique", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const k = generateApiKey();
      expect(k.key).toMatch(/^[A-Za-z0-9]{10}-[A-Za-z0-9]{22}$/);
      expect(parseApiKey(k.key)).toEqual({ id: k.id, secret: k.secret });
      seen.add(k.key);
    }
    expect(seen.size).toBe(2000);
  });
  test("only the SHA-256 of the secret is kept, compared in constant time", () => {
    const k = generateApiKey();
    expect(k.hashedSecret).toHaveLength(32);
    expect(Buffer.from(k.hashedSecret).toString("hex")).toBe(
      new Bun.CryptoHasher("sha256").update(k.secret).digest("hex"),
    );
    expect(secretMatches(k.secret, k.hashedSecret)).toBe(true);
    const altered = `${k.secret.slice(0, -1)}${k.secret.endsWith("x") ? "y" : "x"}`;
    expect(secretMatches(altered, k.hashedSecret)).toBe(false);
    expect(secretMatches(k.secret, hashSecret("other"))).toBe(false);
    expect(secretMatches(k.secret, new Uint8Array(3))).toBe(false);
  });
  test.each([
    "",
    "abc",
    "short-secret",
    `${"a".repeat(10)}-${"b".repeat(21)}`,
    `${"a".repeat(10)}_${"b".repeat(22)}`,
    `${"a".repeat(10)}-${"b".repeat(22)}x`,
  ])("%p is not a key", (text) => {
    expect(parseApiKey(text)).toBeNull();
  });
});

describe("credential hints (SPEC §5.2)", () => {
  test.each([
    ["sk-abcdefghijklmnop", "sk...op"],
    ["sk-abcdefghijklmnopq", "sk-a...nopq"],
    ["0123456789", "01...89"],
    ["123456789", "1...9"],
    ["12345", "1...5"],
    ["1234", "..."],
    ["", "..."],
  ])("%p → %p", (secret, hint) => {
    expect(maskSecret(secret)).toBe(hint);
  });
});
