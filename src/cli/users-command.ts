import { userJson } from "../api/schemas";
import type { Role } from "../db/schema";
import { createUser, USERNAME_PATTERN, UsernameTakenError } from "../db/users";
import { createLogger } from "../observability/logger";
import { CommandError } from "./command-error";
import type { Command } from "./commands";
import { openMigratedDatabase } from "./database";

const ROLES = new Set(["owner", "auditor", "member"]);

export const usersCreateCommand: Command = {
  name: "users create",
  summary: "Create a user and print it as JSON",
  usage: "aibridge users create --username U [--name N] [--email E] [--role owner|auditor|member]",
  flags: {
    username: { boolean: false, help: "Unique username (required)." },
    name: { boolean: false, help: "Display name." },
    email: { boolean: false, help: "Email address." },
    role: { boolean: false, help: "owner, auditor or member (default member)." },
  },
  async run({ config, flags, stdout }) {
    const username = flags.get("username");
    if (!username) throw new CommandError("--username is required", 2);
    if (!new RegExp(USERNAME_PATTERN).test(username)) {
      throw new CommandError(
        "--username must be 1-64 letters, digits, _ . - (starting with a letter or digit), not me, not shaped like a user id",
        2,
      );
    }
    const role = flags.get("role") ?? "member";
    if (!ROLES.has(role))
      throw new CommandError(`invalid value for --role: "${role}" (owner, auditor or member)`, 2);
    const logger = createLogger(config.logFormat);
    const database = await openMigratedDatabase(config, logger);
    try {
      const user = await createUser(database.db, {
        username,
        name: flags.get("name"),
        email: flags.get("email"),
        role: role as Role,
      });
      stdout(`${JSON.stringify(userJson(user))}\n`);
      return 0;
    } catch (error) {
      if (error instanceof UsernameTakenError) throw new CommandError(error.message, 1);
      throw error;
    } finally {
      await database.close();
    }
  },
};
