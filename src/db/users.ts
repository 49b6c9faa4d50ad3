import { and, asc, count, eq, or, sql } from "drizzle-orm";

import type { Db } from "./engine";
import { apiKeys, type Role, type UserStatus, users } from "./schema";
import { isUuid } from "./uuid";

export type UserRow = typeof users.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;

export class UsernameTakenError extends Error {}

/**
 * 1-64 letters, digits, `_ . -`, starting with a letter or digit; never `me` (a user reference's
 * alias for the caller) nor shaped like a user id (a reference would name two users).
 */
export const USERNAME_PATTERN =
  "^(?!me$)(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$";

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

/** Finds a user by id or username. */
export async function findUser(db: Db, ref: string): Promise<UserRow | null> {
  if (!isUuid(ref)) {
    const [row] = await db.select().from(users).where(eq(users.username, ref)).limit(1);
    return row ?? null;
  }
  // The id first: a username shaped like an id (refused since, but possibly older) comes second.
  const [row] = await db
    .select()
    .from(users)
    .where(or(eq(users.id, ref), eq(users.username, ref)))
    .orderBy(sql`${users.id} = ${ref}::uuid DESC`)
    .limit(1);
  return row ?? null;
}

export async function listUsers(db: Db, limit: number, offset: number) {
  const [rows, [total]] = await Promise.all([
    db.select().from(users).orderBy(asc(users.username)).limit(limit).offset(offset),
    db.select({ n: count() }).from(users),
  ]);
  return { count: total?.n ?? 0, users: rows };
}

export interface NewUser {
  username: string;
  name?: string;
  email?: string;
  role?: Role;
}

export async function createUser(db: Db, input: NewUser): Promise<UserRow> {
  const rows = await db
    .insert(users)
    .values({ username: input.username, name: input.name ?? "", email: input.email ?? "", role: input.role })
    .onConflictDoNothing({ target: users.username })
    .returning();
  const row = rows[0];
  if (!row) throw new UsernameTakenError(`username "${input.username}" is already taken`);
  return row;
}

export async function updateUser(
  db: Db,
  id: string,
  patch: { name?: string; role?: Role; status?: UserStatus },
): Promise<UserRow | null> {
  const [row] = await db
    .update(users)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(users.id, id))
    .returning();
  return row ?? null;
}

export async function insertApiKey(
  db: Db,
  key: { id: string; userId: string; hashedSecret: Uint8Array; name: string; expiresAt: Date },
): Promise<ApiKeyRow> {
  const [row] = await db.insert(apiKeys).values(key).returning();
  return row!;
}

export async function listApiKeys(db: Db, userId: string): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(asc(apiKeys.createdAt));
}

export async function deleteApiKey(db: Db, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(apiKeys)
    .where(and(eq(apiKeys.userId, userId), eq(apiKeys.id, id)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

export async function findApiKeyWithUser(db: Db, id: string) {
  const [row] = await db
    .select({ key: apiKeys, user: users })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.id, id))
    .limit(1);
  return row ?? null;
}

export async function touchApiKey(db: Db, id: string, at: Date): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
}
