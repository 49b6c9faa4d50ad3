import { useEffect, useRef, useState } from "preact/hooks";

import { errorText, sendJson } from "../api";
import { storedKeyId } from "../auth";
import type { ApiKey } from "../types";
import { useApi } from "../use-api";
import { FieldError, SelectField } from "./fields";
import { Empty, ErrorState, Loading } from "./states";
import { Time } from "./time";

const LIFETIMES = [
  ["24h", "1 day"],
  ["168h", "7 days"],
  ["720h", "30 days"],
  ["2160h", "90 days"],
  ["8760h", "1 year"],
] as const;

function DeleteKey({ user, apiKey, onDeleted }: { user: string; apiKey: ApiKey; onDeleted: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  // Keyboard users land on the confirmation they just asked for.
  useEffect(() => {
    if (confirming) confirm.current?.focus();
  }, [confirming]);
  if (!confirming) {
    return (
      <button
        type="button"
        class="danger"
        onClick={() => setConfirming(true)}
        aria-label={`Delete key ${apiKey.name || apiKey.id}`}
      >
        Delete
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        ref={confirm}
        type="button"
        class="danger"
        onClick={async () => {
          try {
            await sendJson(
              "DELETE",
              `/api/v2/users/${encodeURIComponent(user)}/keys/${encodeURIComponent(apiKey.id)}`,
            );
            onDeleted();
          } catch (e) {
            setError(errorText(e));
          }
        }}
      >
        Confirm delete
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Cancel
      </button>
      <FieldError error={error} />
    </span>
  );
}

/** A user's API keys: list, create (the key is shown once) and delete (SPEC §9). */
export function KeysPanel({ user, label }: { user: string; label: string }) {
  const base = `/api/v2/users/${encodeURIComponent(user)}/keys`;
  const [result, reload] = useApi<ApiKey[]>(base);
  const [name, setName] = useState("");
  const [lifetime, setLifetime] = useState("720h");
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const create = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const key = await sendJson<{ name: string; key: string }>("POST", base, {
        name: name.trim() || undefined,
        lifetime,
      });
      setCreated(key);
      setName("");
      reload();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section class="keys" aria-label={label}>
      {created ? (
        <div class="new-key" role="status">
          <p>
            New key <strong>{created.name}</strong>. Copy it now: it is shown only this once.
          </p>
          <code class="secret" data-testid="new-key">
            {created.key}
          </code>
          <button type="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}
      {result.state === "error" ? (
        <ErrorState error={result.error} retry={reload} />
      ) : result.state === "loading" && !result.data ? (
        <Loading what="Loading keys" />
      ) : result.data!.length === 0 ? (
        <Empty>No API keys.</Empty>
      ) : (
        <table class="list keys-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {result.data!.map((k) => (
              <tr key={k.id}>
                <td>
                  {k.name || <span class="muted">(unnamed)</span>}
                  {k.id === storedKeyId() ? (
                    <span class="muted" title="Deleting it signs this console out">
                      {" "}
                      (this console)
                    </span>
                  ) : null}
                </td>
                <td>
                  <Time iso={k.created_at} />
                </td>
                <td>
                  <Time iso={k.expires_at} />
                </td>
                <td>{k.last_used_at ? <Time iso={k.last_used_at} /> : <span class="muted">never</span>}</td>
                <td>
                  <DeleteKey user={user} apiKey={k} onDeleted={reload} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="inline-form" onSubmit={create} aria-label={`Create a key for ${user}`}>
        <div class="field">
          <label for={`key-name-${user}`}>Key name</label>
          <input
            id={`key-name-${user}`}
            type="text"
            maxLength={256}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </div>
        <SelectField
          id={`key-life-${user}`}
          label="Lifetime"
          value={lifetime}
          options={LIFETIMES}
          onChange={setLifetime}
        />
        <button type="submit" class="primary">
          Create key
        </button>
        <FieldError error={error} />
      </form>
    </section>
  );
}
