import { chatCompletionsInterceptor, responsesInterceptor } from "../intercept";
import { ERROR_KINDS, joinUrl, type Provider, type RouteMatch } from "./types";

const PASSTHROUGH = [/^\/v1\/models(\/.*)?$/, /^\/v1\/responses\/.+$/, /^\/v1\/conversations(\/.*)?$/];

function match(method: string, path: string): RouteMatch {
  if (path === "/v1/chat/completions" || path === "/v1/responses") {
    if (method !== "POST") return { kind: "method-not-allowed", allow: "POST" };
    const interceptor = path === "/v1/responses" ? responsesInterceptor : chatCompletionsInterceptor;
    return { kind: "intercepted", route: path, interceptor };
  }
  if (PASSTHROUGH.some((p) => p.test(path))) return { kind: "passthrough", route: path };
  return { kind: "not-found" };
}

export function openaiProvider(options: { baseUrl: string; key: string }): Provider {
  return {
    name: "openai",
    keyOption: "--aibridge-openai-key",
    configuredKey: options.key,
    match,
    // The base URL already ends in /v1.
    upstreamUrl: (path, search) => joinUrl(options.baseUrl, path.replace(/^\/v1(?=\/|$)/, ""), search),
    setKey: (headers, key) => headers.set("authorization", `Bearer ${key}`),
    errorBody: (kind, message) => ({ error: { message, ...ERROR_KINDS[kind].openai } }),
  };
}
