import { Elysia, t } from "elysia";

import type { IdentityResolver } from "../auth/identity";
import { issueApiKey, MAX_KEY_LIFETIME, MAX_KEY_LIFETIME_MS } from "../auth/issue-key";
import { parseDuration } from "../config/duration";
import type { Db } from "../db/engine";
import {
  createUser,
  deleteApiKey,
  findUser,
  listApiKeys,
  listUsers,
  UsernameTakenError,
  type UserRow,
  updateUser,
} from "../db/users";
import { authenticateCaller, type Caller, canReadAll } from "./caller";
import { ApiError, authErrors, ErrorSchema } from "./errors";
import { rejectNul } from "./reject-nul";
import {
  ApiKeySchema,
  CreatedKeySchema,
  CreateKeyBody,
  CreateUserBody,
  PatchUserBody,
  UserListSchema,
  UserSchema,
  userJson,
} from "./schemas";

export interface UsersApiDeps {
  db: Db;
  identities: IdentityResolver;
}

const UserParams = t.Object({ user: t.String({ description: "User id, username, or `me`." }) });
const KeyParams = t.Object({
  user: t.String({ description: "User id, username, or `me`." }),
  id: t.String(),
});

function isSelf(caller: Caller, ref: string): boolean {
  return ref === "me" || ref === caller.userId || ref === caller.username;
}

/** Resolves `{user}` for a caller allowed `access`; members only ever reach themselves. */
export async function resolveUser(
  db: Db,
  caller: Caller,
  ref: string,
  access: "read" | "manage",
): Promise<UserRow> {
  const self = isSelf(caller, ref);
  const allowed = self || caller.role === "owner" || (access === "read" && caller.role === "auditor");
  if (!allowed) throw new ApiError(403, "Forbidden.", "You may only access your own user.");
  const user = await findUser(db, self ? caller.userId : ref);
  if (!user) throw new ApiError(404, `User "${ref}" not found.`);
  return user;
}

export function requireOwner(caller: Caller): void {
  if (caller.role !== "owner") throw new ApiError(403, "Forbidden.", "Only an owner may do this.");
}

export function usersApi({ db, identities }: UsersApiDeps) {
  return new Elysia({ prefix: "/api/v2/users", tags: ["Users"] })
    .use(rejectNul())
    .resolve(async ({ request }) => ({ caller: await authenticateCaller(request.headers, identities) }))
    .get("/me", async ({ caller }) => userJson(await resolveUser(db, caller, "me", "read")), {
      response: { 200: UserSchema, ...authErrors, 404: ErrorSchema },
      detail: { summary: "The authenticated user", operationId: "getMe" },
    })
    .get(
      "",
      async ({ caller, query }) => {
        if (!canReadAll(caller))
          throw new ApiError(403, "Forbidden.", "Only owners and auditors may list users.");
        const page = await listUsers(db, query.limit ?? 100, query.offset ?? 0);
        return { count: page.count, users: page.users.map(userJson) };
      },
      {
        query: t.Object({
          limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          offset: t.Optional(t.Integer({ minimum: 0, default: 0 })),
        }),
        response: { 200: UserListSchema, ...authErrors },
        detail: { summary: "List users (owner, auditor)", operationId: "listUsers" },
      },
    )
    .post(
      "",
      async ({ caller, body, set }) => {
        requireOwner(caller);
        try {
          const user = await createUser(db, body);
          set.status = 201;
          return userJson(user);
        } catch (error) {
          if (error instanceof UsernameTakenError) throw new ApiError(409, error.message);
          throw error;
        }
      },
      {
        body: CreateUserBody,
        response: { 201: UserSchema, ...authErrors, 409: ErrorSchema },
        detail: { summary: "Create a user (owner)", operationId: "createUser" },
      },
    )
    .get(
      "/:user",
      async ({ caller, params }) => userJson(await resolveUser(db, caller, params.user, "read")),
      {
        params: UserParams,
        response: { 200: UserSchema, ...authErrors, 404: ErrorSchema },
        detail: { summary: "Get a user (self, owner, auditor)", operationId: "getUser" },
      },
    )
    .patch(
      "/:user",
      async ({ caller, params, body }) => {
        requireOwner(caller);
        const user = await resolveUser(db, caller, params.user, "manage");
        const updated = await updateUser(db, user.id, body);
        if (!updated) throw new ApiError(404, `User "${params.user}" not found.`);
        identities.forgetUser(updated.id);
        return userJson(updated);
      },
      {
        params: UserParams,
        body: PatchUserBody,
        response: { 200: UserSchema, ...authErrors, 404: ErrorSchema },
        detail: { summary: "Update a user's name, role or status (owner)", operationId: "patchUser" },
      },
    )
    .get(
      "/:user/keys",
      async ({ caller, params }) => {
        const user = await resolveUser(db, caller, params.user, "manage");
        return (await listApiKeys(db, user.id)).map((k) => ({
          id: k.id,
          name: k.name,
          created_at: k.createdAt.toISOString(),
          expires_at: k.expiresAt.toISOString(),
          last_used_at: k.lastUsedAt?.toISOString() ?? null,
        }));
      },
      {
        params: UserParams,
        response: { 200: t.Array(ApiKeySchema), ...authErrors, 404: ErrorSchema },
        detail: { summary: "List a user's API keys (self, owner)", operationId: "listKeys" },
      },
    )
    .post(
      "/:user/keys",
      async ({ caller, params, body, set }) => {
        const user = await resolveUser(db, caller, params.user, "manage");
        let lifetimeMs: number | undefined;
        if (body.lifetime !== undefined) {
          const parsed = parseDuration(body.lifetime);
          if (parsed === null || parsed <= 0 || parsed > MAX_KEY_LIFETIME_MS) {
            throw new ApiError(400, "Invalid request body.", undefined, [
              {
                field: "lifetime",
                detail: `"${body.lifetime}" is not a positive duration of at most ${MAX_KEY_LIFETIME} (e.g. 720h, 30d)`,
              },
            ]);
          }
          lifetimeMs = parsed;
        }
        const key = await issueApiKey(db, user.id, { name: body.name, lifetimeMs });
        set.status = 201;
        return { id: key.id, name: key.name, expires_at: key.expiresAt.toISOString(), key: key.key };
      },
      {
        params: UserParams,
        body: CreateKeyBody,
        response: { 201: CreatedKeySchema, ...authErrors, 404: ErrorSchema },
        detail: { summary: "Create an API key (self, owner)", operationId: "createKey" },
      },
    )
    .delete(
      "/:user/keys/:id",
      async ({ caller, params, set }) => {
        const user = await resolveUser(db, caller, params.user, "manage");
        if (!(await deleteApiKey(db, user.id, params.id)))
          throw new ApiError(404, `API key "${params.id}" not found.`);
        identities.forgetKey(params.id);
        set.status = 204;
        return undefined;
      },
      {
        params: KeyParams,
        response: {
          204: t.Void({ description: "Deleted; the key is refused from the next request on." }),
          ...authErrors,
          404: ErrorSchema,
        },
        detail: { summary: "Delete an API key (self, owner)", operationId: "deleteKey" },
      },
    );
}
