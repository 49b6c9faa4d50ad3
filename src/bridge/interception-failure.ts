/**
 * Why an interception did not succeed (SPEC §14 `error_type`, `error_message`): pure, no I/O.
 * The values are the `aibridge_error_type` enum's.
 */

export type FailureType =
  | "bad_request"
  | "unauthorized"
  | "rate_limited"
  | "overloaded"
  | "server_error"
  | "timeout"
  | "client_disconnected"
  | "interrupted"
  | "unknown";

export interface Failure {
  type: FailureType;
  /** At most 1024 characters, never a secret. */
  message: string;
}

export const MAX_ERROR_MESSAGE = 1024;

/** The failure an upstream HTTP status stands for; null for a success (1xx–3xx). */
export function failureTypeOfStatus(status: number): FailureType | null {
  if (status < 400) return null;
  if (status === 401 || status === 403) return "unauthorized";
  if (status === 429) return "rate_limited";
  if (status === 408 || status === 504) return "timeout";
  if (status === 503 || status === 529) return "overloaded";
  if (status === 499) return "client_disconnected";
  if (status < 500) return "bad_request";
  if (status < 600) return "server_error";
  return "unknown";
}

// Provider keys (`sk-…`, `sk-ant-…`, `sk-proj-…`), bearer tokens and aibridge keys (`{10}-{22}`).
const SECRET_PATTERNS = [
  /\bsk-[A-Za-z0-9_*.-]{6,}/g,
  /\b[Bb]earer\s+[A-Za-z0-9._~+/=-]{8,}/g,
  /\b[A-Za-z0-9]{10}-[A-Za-z0-9]{22}\b/g,
];

/**
 * A message fit to store and show: key-like strings and the given secrets masked, NUL and lone
 * surrogates replaced (PostgreSQL text cannot hold them), cut to 1024 characters.
 */
export function cleanErrorMessage(text: string, secrets: readonly string[] = []): string {
  let clean = text;
  for (const secret of secrets) if (secret.length >= 8) clean = clean.split(secret).join("[redacted]");
  for (const pattern of SECRET_PATTERNS) clean = clean.replace(pattern, "[redacted]");
  clean = clean.replaceAll("\u0000", "\uFFFD").toWellFormed();
  if (clean.length <= MAX_ERROR_MESSAGE) return clean;
  // Never cut a surrogate pair in two.
  const cut = clean
    .slice(0, MAX_ERROR_MESSAGE - 1)
    .toWellFormed()
    .replace(/\uFFFD$/, "");
  return `${cut}…`;
}

/**
 * The message of a provider error body: Anthropic `{"type":"error","error":{"message"}}`, OpenAI
 * `{"error":{"message"}}`, or a bare `{"message"}`; else the body's text, or the status line.
 */
export function upstreamErrorMessage(status: number, body: string | null): string {
  const fallback = `upstream answered ${status}`;
  if (!body) return fallback;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const nested = typeof parsed?.error === "object" ? parsed.error?.message : parsed?.error;
    const message = typeof nested === "string" ? nested : parsed?.message;
    if (typeof message === "string" && message.trim() !== "") return message;
  } catch {
    // Not JSON: the text itself, when it is short enough to be a message.
  }
  const text = body.trim();
  return text !== "" && text.length <= MAX_ERROR_MESSAGE && !text.startsWith("{") ? text : fallback;
}

/** The failure of an upstream answer with an error status, from its body. */
export function upstreamFailure(
  status: number,
  body: string | null,
  secrets: readonly string[] = [],
): Failure | null {
  const type = failureTypeOfStatus(status);
  if (type === null) return null;
  return { type, message: cleanErrorMessage(upstreamErrorMessage(status, body), secrets) };
}

/** A request that never got an answer: the upstream could not be reached, or timed out. */
export function connectionFailure(error: string, secrets: readonly string[] = []): Failure {
  const timedOut = /timed? ?out|timeout/i.test(error);
  return {
    type: timedOut ? "timeout" : "server_error",
    message: cleanErrorMessage(`could not reach the upstream: ${error}`, secrets),
  };
}

export const CLIENT_DISCONNECTED: Failure = {
  type: "client_disconnected",
  message: "the client went away before the answer was complete",
};

export const BREAKER_OPEN: Failure = { type: "overloaded", message: "circuit breaker is open" };

export const STREAM_FAILED: Failure = {
  type: "server_error",
  message: "the upstream stream failed before it was complete",
};

export const STREAM_OVERLOADED: Failure = {
  type: "overloaded",
  message: "the upstream stream ended with an overloaded_error event",
};
