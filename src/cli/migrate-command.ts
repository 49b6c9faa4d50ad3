import { createLogger } from "../observability/logger";
import type { Command } from "./commands";
import { openMigratedDatabase } from "./database";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "Apply pending database migrations and exit",
  usage: "aibridge migrate",
  flags: {},
  async run({ config }) {
    const database = await openMigratedDatabase(config, createLogger(config.logFormat));
    await database.close();
    return 0;
  },
};
