import { maskSecret } from "../auth/api-key";
import { type CallerKey, clientProviderCredential } from "../auth/caller-key";
import type { CredentialPlan } from "./headers";
import type { Provider } from "./providers/types";

export type CredentialDecision =
  | { ok: true; plan: CredentialPlan; kind: "centralized" | "byok"; hint: string }
  | { ok: false; status: 403 | 502; kind: "permission" | "api"; message: string };

/** Which provider credential goes upstream, and how it is recorded (SPEC §5.2). */
export function decideCredential(
  callerKey: CallerKey,
  clientHeaders: Headers,
  provider: Pick<Provider, "configuredKey" | "keyOption" | "name">,
  allowByok: boolean,
): CredentialDecision {
  if (callerKey.source === "coder-token") {
    const own = clientProviderCredential(clientHeaders, callerKey.key);
    if (own) {
      if (!allowByok) {
        return {
          ok: false,
          status: 403,
          kind: "permission",
          message:
            "Bring-your-own provider credentials are disabled on this gateway (--aibridge-allow-byok=false).",
        };
      }
      return { ok: true, plan: { mode: "byok" }, kind: "byok", hint: maskSecret(own) };
    }
  }
  if (!provider.configuredKey) {
    return {
      ok: false,
      status: 502,
      kind: "api",
      message: `The ${provider.name} provider is not configured: set ${provider.keyOption} or send your own credentials with X-Coder-Token.`,
    };
  }
  const mode = callerKey.source === "coder-token" ? "coder-token" : "centralized";
  return {
    ok: true,
    plan: { mode, key: provider.configuredKey },
    kind: "centralized",
    hint: maskSecret(provider.configuredKey),
  };
}
