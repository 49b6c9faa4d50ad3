import { messagesInterceptor } from "../intercept";
import { ERROR_KINDS, joinUrl, type Provider, type RouteMatch } from "./types";

const PASSTHROUGH = [/^\/v1\/models(\/.*)?$/, /^\/v1\/messages\/count_tokens$/, /^\/api\/event_logging\/.+$/];

function match(method: string, path: string): RouteMatch {
  if (path === "/v1/messages") {
    if (method !== "POST") return { kind: "method-not-allowed", allow: "POST" };
    return { kind: "intercepted", route: path, interceptor: messagesInterceptor };
  }
  if (PASSTHROUGH.some((p) => p.test(path))) return { kind: "passthrough", route: path };
  return { kind: "not-found" };
}

export function anthropicProvider(options: { baseUrl: string; key: string }): Provider {
  return {
    name: "anthropic",
    keyOption: "--aibridge-anthropic-key",
    configuredKey: options.key,
    match,
    upstreamUrl: (path, search) => joinUrl(options.baseUrl, path, search),
    setKey: (headers, key) => headers.set("x-api-key", key),
    errorBody: (kind, message) => ({ type: "error", error: { type: ERROR_KINDS[kind].anthropic, message } }),
  };
}
