import { useEffect, useRef, useState } from "preact/hooks";

import { ApiError, request } from "../api";
import { type Me, signIn, takeNotice } from "../auth";

/** Sign-in with an API key; the key is checked against `GET /api/v2/users/me` before it is kept. */
export function SignInPage() {
  const [notice] = useState(takeNotice);
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError("Paste an API key first.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const response = await request("/api/v2/users/me", { key: trimmed });
      signIn(trimmed, (await response.json()) as Me);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 401
          ? "That key was not accepted: it may be mistyped, expired or deleted."
          : e instanceof ApiError
            ? e.message
            : String(e),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <form onSubmit={submit} aria-describedby="sign-in-help">
        <h1>aibridge console</h1>
        {notice ? (
          <p class="notice" role="status">
            {notice}
          </p>
        ) : null}
        <label for="api-key">API key</label>
        <input
          id="api-key"
          ref={input}
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "sign-in-error" : undefined}
        />
        {error ? (
          <p id="sign-in-error" class="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p id="sign-in-help" class="help">
          Use an aibridge API key (<code>aibridge tokens create --username …</code>). The console can do only
          what the key's role allows; the key stays in this tab and is forgotten when it closes.
        </p>
      </form>
    </main>
  );
}
