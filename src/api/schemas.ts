import { t } from "elysia";

import { USERNAME_PATTERN, type UserRow } from "../db/users";

const Role = t.Union([t.Literal("owner"), t.Literal("auditor"), t.Literal("member")]);
const Status = t.Union([t.Literal("active"), t.Literal("suspended")]);

export const UserSchema = t.Object(
  {
    id: t.String({ format: "uuid" }),
    username: t.String(),
    name: t.String(),
    email: t.String(),
    avatar_url: t.String(),
    role: Role,
    status: Status,
    created_at: t.String({ format: "date-time" }),
  },
  { $id: "#/components/schemas/User", title: "User" },
);

export const UserListSchema = t.Object(
  { count: t.Integer(), users: t.Array(UserSchema) },
  { title: "UserList" },
);

export const CreateUserBody = t.Object(
  {
    username: t.String({
      pattern: USERNAME_PATTERN,
      description: "1-64 characters: letters, digits, _ . -; not `me`, not shaped like a user id",
    }),
    name: t.Optional(t.String({ maxLength: 256 })),
    email: t.Optional(t.String({ maxLength: 320 })),
    role: t.Optional(Role),
  },
  { title: "CreateUserRequest" },
);

export const PatchUserBody = t.Object(
  { name: t.Optional(t.String({ maxLength: 256 })), role: t.Optional(Role), status: t.Optional(Status) },
  { title: "PatchUserRequest" },
);

export const ApiKeySchema = t.Object(
  {
    id: t.String(),
    name: t.String(),
    created_at: t.String({ format: "date-time" }),
    expires_at: t.String({ format: "date-time" }),
    last_used_at: t.Union([t.String({ format: "date-time" }), t.Null()]),
  },
  { title: "ApiKey" },
);

export const CreateKeyBody = t.Object(
  {
    name: t.Optional(t.String({ maxLength: 256 })),
    lifetime: t.Optional(t.String({ description: "Go-style duration, e.g. 720h or 30d. Default 720h." })),
  },
  { title: "CreateApiKeyRequest" },
);

export const CreatedKeySchema = t.Object(
  {
    id: t.String(),
    name: t.String(),
    expires_at: t.String({ format: "date-time" }),
    key: t.String({ description: "The full API key. Shown once; it cannot be retrieved again." }),
  },
  { title: "CreatedApiKey" },
);

export function userJson(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    email: u.email,
    avatar_url: u.avatarUrl,
    role: u.role,
    status: u.status,
    created_at: u.createdAt.toISOString(),
  };
}
