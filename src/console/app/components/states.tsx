import type { ComponentChildren } from "preact";

import { ApiError } from "../api";

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return (
    <p class="state state-empty" role="status">
      {children}
    </p>
  );
}

/** An error with what the server said; endpoints this server lacks read "not available". */
export function ErrorState({
  error,
  retry,
  feature,
}: {
  error: unknown;
  retry?: () => void;
  feature?: string;
}) {
  const api = error instanceof ApiError ? error : null;
  if (api?.unavailable) {
    return (
      <div class="state state-error" role="alert">
        <strong>{feature ?? "This page"}: not available on this server.</strong>
        <p>The aibridge you are connected to does not offer this part of the management API yet.</p>
      </div>
    );
  }
  const message = api ? api.message : error instanceof Error ? error.message : String(error);
  return (
    <div class="state state-error" role="alert">
      <strong>{message}</strong>
      {api?.explanation ? <p>{api.explanation}</p> : null}
      {retry ? (
        <button type="button" onClick={retry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}
