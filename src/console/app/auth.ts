import type { User } from "./types";

// The signed-in key lives in sessionStorage (SPEC §18): it is gone when the tab closes.

/** The signed-in user, as `GET /api/v2/users/me` answered at sign-in. */
export type Me = User;

const KEY = "aibridge.console.key";
const ME = "aibridge.console.me";

type Listener = () => void;
const listeners = new Set<Listener>();
let notice: string | null = null;

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storedMe(): Me | null {
  const raw = sessionStorage.getItem(ME);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Me;
  } catch {
    return null;
  }
}

/** Why the sign-in page is shown (an expired key, a sign-out), once. */
export function takeNotice(): string | null {
  const text = notice;
  notice = null;
  return text;
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(): void {
  for (const listener of listeners) listener();
}

export function signIn(key: string, me: Me): void {
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(ME, JSON.stringify(me));
  notice = null;
  changed();
}

export function signOut(message: string | null = null): void {
  if (!storedKey()) return;
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ME);
  notice = message;
  changed();
}

/** Owners and auditors read every user's records; members only their own. */
export function readsAll(me: Me | null): boolean {
  return me?.role === "owner" || me?.role === "auditor";
}

/** The id of the signed-in key (`{id}-{secret}`), to mark it in key lists. */
export function storedKeyId(): string | null {
  return storedKey()?.split("-")[0] ?? null;
}
