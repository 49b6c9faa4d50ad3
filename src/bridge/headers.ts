import { holdsApiKey } from "../auth/api-key";

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

// Never forwarded: recomputed by fetch (host, length, encoding) or aibridge's own credential.
const NOT_FORWARDED = ["host", "content-length", "accept-encoding", "x-coder-token"];

// An RFC 9110 token: anything else in a Connection header names no header (and Headers.delete would throw).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A copy of `headers` without `names` and without what its Connection header lists. Copying whole
 * and deleting is native work, several times cheaper than rebuilding header by header.
 */
function copyWithout(headers: Headers, names: string[]): Headers {
  const out = new Headers(headers);
  const listed = headers.get("connection");
  if (listed) {
    for (const raw of listed.split(",")) {
      const name = raw.trim();
      if (HEADER_NAME.test(name)) out.delete(name);
    }
  }
  for (const name of names) out.delete(name);
  return out;
}

const NOT_FORWARDED_OR_HOP = [...HOP_BY_HOP, ...NOT_FORWARDED];
const ACTOR_HEADER_PREFIX = "x-ai-bridge-actor-";
const DECODED_OR_HOP = [...HOP_BY_HOP, "content-encoding", "content-length"];

export type CredentialPlan =
  | { mode: "centralized"; key: string }
  | { mode: "byok" }
  /** X-Coder-Token without own credentials: the configured key is added. */
  | { mode: "coder-token"; key: string };

export interface UpstreamHeaderOptions {
  credential: CredentialPlan;
  /** The caller's aibridge key: never sent upstream, whichever header holds it. */
  callerKey: string;
  setKey: (headers: Headers, key: string) => void;
  actor?: { id: string; username: string };
}

/**
 * The headers sent upstream (SPEC §5.2, §13): everything but hop-by-hop, host, length, encoding and
 * any header holding an aibridge key, with the planned provider credential.
 */
export function upstreamHeaders(client: Headers, options: UpstreamHeaderOptions): Headers {
  const out = copyWithout(client, NOT_FORWARDED_OR_HOP);
  dropKeysAndActors(out, options.callerKey);
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
 * Every header holding an aibridge key, and every actor header a client sent: upstream, an actor
 * header says who the gateway authenticated, never who a client claims to be.
 */
function dropKeysAndActors(headers: Headers, callerKey: string): void {
  const holding: string[] = [];
  headers.forEach((value, name) => {
    if (name.startsWith(ACTOR_HEADER_PREFIX) || holdsApiKey(value, callerKey)) holding.push(name);
  });
  for (const name of holding) headers.delete(name);
}

/**
 * The upstream's response headers for the client. fetch has already decoded any Content-Encoding,
 * so the encoding and the (compressed) length must not be passed on.
 */
export function clientResponseHeaders(upstream: Headers): Headers {
  return copyWithout(upstream, upstream.has("content-encoding") ? DECODED_OR_HOP : HOP_BY_HOP);
}
