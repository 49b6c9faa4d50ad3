import { describe, expect, test } from "bun:test";

import { generateApiKey, holdsApiKey } from "../../src/auth/api-key";
import { extractCallerKey } from "../../src/auth/caller-key";
import { decideCredential } from "../../src/bridge/credentials";
import { upstreamHeaders } from "../../src/bridge/headers";
import { anthropicProvider } from "../../src/bridge/providers/anthropic";
import { openaiProvider } from "../../src/bridge/providers/openai";

const openai = openaiProvider({ baseUrl: "https://api.openai.com/v1/", key: "sk-central-openai-0123456789" });
const anthropic = anthropicProvider({
  baseUrl: "https://api.anthropic.com/",
  key: "sk-ant-central-0123456789",
});
const K = "abcdefghij-0123456789012345678901";
const OTHER = generateApiKey().key;

describe("what holds an aibridge key (SPEC §13)", () => {
  test.each([
    K,
    `Bearer ${K}`,
    `bearer   ${OTHER}`,
    `token=${K}; other=1`,
    `${K}, ${OTHER}`,
    ` ${K} `,
    `"${K}"`,
  ])("%p holds one", (value) => {
    expect(holdsApiKey(value)).toBe(true);
  });

  test.each([
    "",
    "Bearer sk-proj-abcdefghij-0123456789012345678901",
    "sk-ant-api03-abcdefghij-0123456789012345678901-AA",
    `${K}x`,
    `x${K}`,
    `${K}-`,
    `_${K}`,
    "abcdefghi-0123456789012345678901",
    "abcdefghij-012345678901234567890",
    "abcdefghij_0123456789012345678901",
    "0199e1c2-5a3b-7c4d-8e9f-0123456789ab",
    "prompt-caching-2024-07-31",
    "claude-cli/2.0.14 (external, cli)",
  ])("%p does not", (value) => {
    expect(holdsApiKey(value)).toBe(false);
  });

  test("the caller's own key counts wherever it appears, even glued to other characters", () => {
    expect(holdsApiKey(`prefix-${K}`, K)).toBe(true);
    expect(holdsApiKey(`prefix-${K}`)).toBe(false);
    expect(holdsApiKey("anything", "")).toBe(false);
  });
});

describe("an aibridge key is never a BYOK credential", () => {
  const decide = (headers: Record<string, string>, provider = openai) =>
    decideCredential(extractCallerKey(new Headers(headers))!, new Headers(headers), provider, true);

  test("X-Coder-Token: K with X-Api-Key: K (or Authorization: Bearer K) uses the configured key", () => {
    for (const headers of <Record<string, string>[]>[
      { "x-coder-token": K, "x-api-key": K },
      { "x-coder-token": K, authorization: `Bearer ${K}` },
      { "x-coder-token": K, "x-api-key": OTHER },
      { "x-coder-token": K, authorization: `Bearer ${OTHER}`, "x-api-key": K },
    ]) {
      expect(decide(headers)).toEqual({
        ok: true,
        plan: { mode: "coder-token", key: openai.configuredKey },
        kind: "centralized",
        hint: "sk-c...6789",
      });
    }
  });

  test("a provider credential next to an aibridge key is still BYOK", () => {
    expect(
      decide(
        { "x-coder-token": K, authorization: `Bearer ${K}`, "x-api-key": "sk-ant-mine-1234567890" },
        anthropic,
      ),
    ).toMatchObject({
      kind: "byok",
      plan: { mode: "byok" },
      hint: "sk-a...7890",
    });
  });

  test("with BYOK disabled, an aibridge key in X-Api-Key is not refused as own credentials", () => {
    const headers = { "x-coder-token": K, "x-api-key": K };
    expect(
      decideCredential(extractCallerKey(new Headers(headers))!, new Headers(headers), openai, false),
    ).toMatchObject({
      ok: true,
      kind: "centralized",
    });
  });
});

describe("no header holding an aibridge key goes upstream", () => {
  const client = new Headers({
    "x-coder-token": K,
    "x-api-key": K,
    authorization: `Bearer ${OTHER}`,
    "x-custom-auth": `token ${K}`,
    "x-glued": `id-${K}`,
    cookie: `session=${OTHER}`,
    "anthropic-version": "2023-06-01",
    "user-agent": "claude-cli/2.0",
  });

  for (const [mode, credential] of [
    ["byok", { mode: "byok" }],
    ["coder-token", { mode: "coder-token", key: "sk-conf" }],
    ["centralized", { mode: "centralized", key: "sk-conf" }],
  ] as const) {
    test(mode, () => {
      for (const provider of [openai, anthropic]) {
        const out = upstreamHeaders(client, { credential, callerKey: K, setKey: provider.setKey });
        const sent = [...out.entries()];
        expect(sent.filter(([, value]) => value.includes(K) || value.includes(OTHER))).toEqual([]);
        expect(out.get("anthropic-version")).toBe("2023-06-01");
        expect(out.get("user-agent")).toBe("claude-cli/2.0");
        if (mode !== "byok") {
          expect(out.get(provider === openai ? "authorization" : "x-api-key")).toContain("sk-conf");
        }
      }
    });
  }
});
