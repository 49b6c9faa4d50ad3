const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

// Never forwarded: recomputed by fetch (host, length, encoding) or aibridge's own credential.
const NOT_FORWARDED = new Set(["host", "content-length", "accept-encoding", "x-coder-token"]);

function connectionListed(headers: Headers): Set<string> {
  const listed = headers.get("connection");
  return new Set(listed ? listed.split(",").map((h) => h.trim().toLowerCase()) : []);
}

export type CredentialPlan =
  | { mode: "centralized"; key: string }
  | { mode: "byok" }
  /** X-Coder-Token without own credentials: the configured key is added. */
  | { mode: "coder-token"; key: string };

export interface UpstreamHeaderOptions {
  credential: CredentialPlan;
  setKey: (headers: Headers, key: string) => void;
  actor?: { id: string; username: string };
}

/** The headers sent upstream (SPEC §5.2): everything but hop-by-hop, host, length, encoding and aibridge keys. */
export function upstreamHeaders(client: Headers, options: UpstreamHeaderOptions): Headers {
  const listed = connectionListed(client);
  const out = new Headers();
  client.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || NOT_FORWARDED.has(name) || listed.has(name)) return;
    out.append(name, value);
  });
  const { credential } = options;
  if (credential.mode === "centralized") {
    out.delete("authorization");
    out.delete("x-api-key");
    options.setKey(out, credential.key);
  } else if (credential.mode === "coder-token") {
    options.setKey(out, credential.key);
  }
  if (options.actor) {
    out.set("x-ai-bridge-actor-id", options.actor.id);
    out.set("x-ai-bridge-actor-metadata-username", options.actor.username);
  }
  return out;
}

/**
 * The upstream's response headers for the client. fetch has already decoded any Content-Encoding,
 * so the encoding and the (compressed) length must not be passed on.
 */
export function clientResponseHeaders(upstream: Headers): Headers {
  const listed = connectionListed(upstream);
  const out = new Headers();
  const decoded = upstream.has("content-encoding");
  upstream.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || listed.has(name)) return;
    if (decoded && (name === "content-encoding" || name === "content-length")) return;
    out.append(name, value);
  });
  return out;
}
