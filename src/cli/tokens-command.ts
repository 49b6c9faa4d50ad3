import { issueApiKey, MAX_KEY_LIFETIME, MAX_KEY_LIFETIME_MS } from "../auth/issue-key";
import { parseDuration } from "../config/duration";
import { findUser } from "../db/users";
import { createLogger } from "../observability/logger";
import { CommandError } from "./command-error";
import type { Command } from "./commands";
import { openMigratedDatabase } from "./database";

export const tokensCreateCommand: Command = {
  name: "tokens create",
  summary: "Create an API key for a user and print only the key",
  usage: "aibridge tokens create --username U [--lifetime 720h] [--name N]",
  flags: {
    username: { boolean: false, help: "The key's owner (required)." },
    lifetime: { boolean: false, help: "How long the key is valid (default 720h)." },
    name: { boolean: false, help: "A name to recognise the key by." },
  },
  async run({ config, flags, stdout }) {
    const username = flags.get("username");
    if (!username) throw new CommandError("--username is required", 2);
    const lifetimeText = flags.get("lifetime") ?? "720h";
    const lifetimeMs = parseDuration(lifetimeText);
    if (lifetimeMs === null || lifetimeMs <= 0 || lifetimeMs > MAX_KEY_LIFETIME_MS) {
      throw new CommandError(
        `invalid value for --lifetime: "${lifetimeText}" is not a positive duration of at most ${MAX_KEY_LIFETIME}`,
        2,
      );
    }
    const logger = createLogger(config.logFormat);
    const database = await openMigratedDatabase(config, logger);
    try {
      const user = await findUser(database.db, username);
      if (!user) throw new CommandError(`user "${username}" not found`, 1);
      const key = await issueApiKey(database.db, user.id, { name: flags.get("name"), lifetimeMs });
      stdout(`${key.key}\n`);
      return 0;
    } finally {
      await database.close();
    }
  },
};
