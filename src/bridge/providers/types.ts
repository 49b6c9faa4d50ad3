import type { ApiInterceptor } from "../intercept/types";

export type ProviderName = "openai" | "anthropic";

export type RouteMatch =
  | { kind: "intercepted"; route: string; interceptor: ApiInterceptor }
  | { kind: "passthrough"; route: string }
  | { kind: "method-not-allowed"; allow: string }
  | { kind: "not-found" };

export interface ErrorKind {
  openai: { type: string; code: string };
  anthropic: string;
}

export interface Provider {
  name: ProviderName;
  /** The option naming this provider's key, for "not configured" errors. */
  keyOption: string;
  configuredKey: string;
  /** Classifies a path relative to `/api/v2/aibridge/{provider}` (e.g. `/v1/messages`). */
  match(method: string, path: string): RouteMatch;
  upstreamUrl(path: string, search: string): string;
  /** Sets the configured credential the way this provider expects it. */
  setKey(headers: Headers, key: string): void;
  errorBody(kind: keyof typeof ERROR_KINDS, message: string): unknown;
}

/** Gateway-made errors, in each provider's vocabulary (SPEC §4.2). */
export const ERROR_KINDS = {
  authentication: {
    openai: { type: "invalid_request_error", code: "invalid_api_key" },
    anthropic: "authentication_error",
  },
  permission: {
    openai: { type: "invalid_request_error", code: "permission_denied" },
    anthropic: "permission_error",
  },
  invalidRequest: {
    openai: { type: "invalid_request_error", code: "invalid_request" },
    anthropic: "invalid_request_error",
  },
  budget: {
    openai: { type: "insufficient_quota", code: "insufficient_quota" },
    anthropic: "permission_error",
  },
  notFound: { openai: { type: "invalid_request_error", code: "not_found" }, anthropic: "not_found_error" },
  tooLarge: {
    openai: { type: "invalid_request_error", code: "request_too_large" },
    anthropic: "request_too_large",
  },
  timeout: {
    openai: { type: "invalid_request_error", code: "request_timeout" },
    anthropic: "invalid_request_error",
  },
  overloaded: {
    openai: { type: "server_error", code: "service_unavailable" },
    anthropic: "overloaded_error",
  },
  api: { openai: { type: "server_error", code: "bad_gateway" }, anthropic: "api_error" },
} satisfies Record<string, ErrorKind>;

/** Joins a base URL (which may carry a path prefix) and a path, keeping exactly one slash between. */
export function joinUrl(base: string, path: string, search: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}${search}`;
}
