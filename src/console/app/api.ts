// Every call the console makes goes through the public management API with the signed-in key.

import { signOut, storedKey } from "./auth";

export interface Validation {
  field: string;
  detail: string;
}

/** A management API error (`{message, detail, validations}`), or the network failing. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail?: string,
    readonly validations: Validation[] = [],
    /** The server has no such endpoint (an older or newer aibridge): pages say "not available". */
    readonly unavailable = false,
  ) {
    super(message);
  }

  /** What to show a person: the message and whatever explains it. */
  get explanation(): string {
    const parts = [this.detail, ...this.validations.map((v) => `${v.field}: ${v.detail}`)].filter(Boolean);
    return parts.join(" · ");
  }
}

/** One line for a form's error message: what the server said and why. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return [error.message, error.explanation].filter(Boolean).join(" ");
  return error instanceof Error ? error.message : String(error);
}

export const EXPIRED_MESSAGE =
  "Your API key is no longer accepted (expired, deleted or suspended). Sign in again.";

async function errorFrom(response: Response): Promise<ApiError> {
  let body: { message?: string; detail?: string; validations?: Validation[] } | null = null;
  const text = await response.text();
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  // A route the server does not know: the management 404 "No route for …", or a data-plane-shaped 404
  // (paths under /api/v2/aibridge/ that no management route claims reach the data plane).
  const unknownRoute =
    response.status === 405 ||
    (response.status === 404 &&
      (!body?.message ||
        (body.detail ?? "").startsWith("No route for") ||
        body.message.startsWith("unknown provider")));
  return new ApiError(
    response.status,
    body?.message ?? `The server answered ${response.status} ${response.statusText}.`,
    body?.detail,
    body?.validations ?? [],
    unknownRoute,
  );
}

/** Sends a request with the key; a 401 signs out (the sign-in page says why) and rejects. */
export async function request(
  path: string,
  init: { method?: string; body?: unknown; key?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  const key = init.key ?? storedKey();
  const headers: Record<string, string> = { accept: "application/json" };
  // Bearer, not Coder-Session-Token: paths under /api/v2/aibridge/ that this server lacks reach the
  // data plane, which reads only Bearer, so an old server answers "unknown provider", not 401.
  if (key) headers.authorization = `Bearer ${key}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
      cache: "no-store",
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "The server could not be reached.", "Check that aibridge is running, then retry.");
  }
  if (response.status === 401 && init.key === undefined) {
    signOut(EXPIRED_MESSAGE);
    throw new ApiError(401, EXPIRED_MESSAGE);
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await request(path, { signal })).json() as Promise<T>;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T | null> {
  const response = await request(path, { method, body });
  return response.status === 204 ? null : ((await response.json()) as T);
}

/** `path?key=value…`, leaving out empty values. */
export function withQuery(path: string, query: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
