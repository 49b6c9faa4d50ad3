import { useState } from "preact/hooks";

import { errorText, sendJson, withQuery } from "../api";
import type { Me } from "../auth";
import { BudgetPanel } from "../components/budget";
import { FieldError, SelectField } from "../components/fields";
import { KeysPanel } from "../components/keys-panel";
import { Empty, ErrorState, Loading } from "../components/states";
import { Time } from "../components/time";
import { formatTokens } from "../format";
import type { User } from "../types";
import { useApi } from "../use-api";

const ROLES = ["owner", "auditor", "member"] as const;
const STATUSES = ["active", "suspended"] as const;
const PAGE = 100;

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ username: "", name: "", email: "", role: "member" });
  const [error, setError] = useState<string | null>(null);
  const set = (field: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [field]: (e.currentTarget as HTMLInputElement).value });

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await sendJson("POST", "/api/v2/users", {
        username: form.username.trim(),
        name: form.name.trim() || undefined,
        email: form.email.trim() || undefined,
        role: form.role,
      });
      setForm({ username: "", name: "", email: "", role: "member" });
      onCreated();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <form class="inline-form create-user" onSubmit={submit} aria-label="Create a user">
      <div class="field">
        <label for="new-username">Username</label>
        <input
          id="new-username"
          type="text"
          required
          pattern="[a-zA-Z0-9][a-zA-Z0-9_.\-]{0,63}"
          value={form.username}
          onInput={set("username")}
        />
      </div>
      <div class="field">
        <label for="new-name">Name</label>
        <input id="new-name" type="text" maxLength={256} value={form.name} onInput={set("name")} />
      </div>
      <div class="field">
        <label for="new-email">Email</label>
        <input id="new-email" type="email" maxLength={320} value={form.email} onInput={set("email")} />
      </div>
      <SelectField
        id="new-role"
        label="Role"
        value={form.role}
        options={ROLES}
        onChange={(role) => setForm({ ...form, role })}
      />
      <button type="submit" class="primary">
        Create user
      </button>
      <FieldError error={error} />
    </form>
  );
}

function UserRow({ user, me, onChanged }: { user: User; me: Me; onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const owner = me.role === "owner";
  const patch = async (body: Partial<Pick<User, "role" | "status">>) => {
    setError(null);
    try {
      await sendJson("PATCH", `/api/v2/users/${encodeURIComponent(user.id)}`, body);
      onChanged();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <>
      <tr>
        <td class="truncate">
          <strong>{user.username}</strong>
          {user.id === me.id ? <span class="muted"> (you)</span> : null}
        </td>
        <td class="truncate">{user.name}</td>
        <td class="truncate">{user.email}</td>
        <td>
          {owner ? (
            <select
              aria-label={`Role of ${user.username}`}
              value={user.role}
              onChange={(e) => patch({ role: e.currentTarget.value as User["role"] })}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          ) : (
            user.role
          )}
        </td>
        <td>
          {owner ? (
            <select
              aria-label={`Status of ${user.username}`}
              value={user.status}
              onChange={(e) => patch({ status: e.currentTarget.value as User["status"] })}
            >
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          ) : (
            user.status
          )}
          <FieldError error={error} />
        </td>
        <td>
          <Time iso={user.created_at} />
        </td>
        <td>
          {owner ? (
            <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
              {open ? "Close" : "Keys and budget"}
            </button>
          ) : null}
        </td>
      </tr>
      {open ? (
        <tr class="row-details">
          <td colSpan={7}>
            <div class="user-manage">
              <div>
                <h3>API keys of {user.username}</h3>
                <KeysPanel user={user.id} label={`API keys of ${user.username}`} />
              </div>
              <div>
                <h3>Monthly budget</h3>
                <BudgetPanel user={user.id} editable />
              </div>
            </div>
          </td>
        </tr>
      ) : null}
    </>
  );
}

function UserList({ me }: { me: Me }) {
  const [offset, setOffset] = useState(0);
  const [result, reload] = useApi<{ count: number; users: User[] }>(
    withQuery("/api/v2/users", { limit: PAGE, offset }),
  );
  return (
    <section aria-label="Users">
      {me.role === "owner" ? <CreateUser onCreated={reload} /> : null}
      {result.state === "error" ? (
        <ErrorState error={result.error} retry={reload} />
      ) : result.state === "loading" && !result.data ? (
        <Loading what="Loading users" />
      ) : result.data!.users.length === 0 ? (
        <Empty>No users.</Empty>
      ) : (
        <>
          <nav class="pager" aria-label="Pagination">
            <span class="pager-total">
              {formatTokens(offset + 1)}–{formatTokens(offset + result.data!.users.length)} of{" "}
              {formatTokens(result.data!.count)} users
            </span>
            <button
              type="button"
              disabled={offset === 0}
              onClick={() => setOffset(Math.max(0, offset - PAGE))}
            >
              ← Previous
            </button>
            <button
              type="button"
              disabled={offset + PAGE >= result.data!.count}
              onClick={() => setOffset(offset + PAGE)}
            >
              Next →
            </button>
          </nav>
          <table class="list users">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {result.data!.users.map((u) => (
                <UserRow key={u.id} user={u} me={me} onChanged={reload} />
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** Owners manage users, roles, status, keys and budgets; everyone manages their own keys (SPEC §18). */
export function UsersPage({ me }: { me: Me }) {
  return (
    <>
      {me.role === "member" ? null : <UserList me={me} />}
      <div class="user-manage own">
        <div>
          <h2>Your API keys</h2>
          <KeysPanel user="me" label="Your API keys" />
        </div>
        <div>
          <h2>Your monthly budget</h2>
          <BudgetPanel user="me" editable={false} />
        </div>
      </div>
    </>
  );
}
