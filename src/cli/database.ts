import type { Config } from "../config/options";
import { DataDirInUseError } from "../db/data-dir-lock";
import { type Database, openDatabase } from "../db/engine";
import { migrate } from "../db/migrate";
import type { Logger } from "../observability/logger";
import { CommandError } from "./command-error";

/** Opens the configured database and applies pending migrations (every command does this first). */
export async function openMigratedDatabase(config: Config, logger: Logger): Promise<Database> {
  let database: Database;
  try {
    database = await openDatabase({ postgresUrl: config.postgresUrl, dataDir: config.dataDir });
  } catch (error) {
    if (error instanceof DataDirInUseError) throw new CommandError(error.message, 1);
    throw new CommandError(`could not open the database: ${describe(error)}`, 1);
  }
  try {
    const applied = await migrate(database.db);
    if (applied.length) logger.info("migrations applied", { migrations: applied, engine: database.engine });
  } catch (error) {
    await database.close().catch(() => {});
    throw new CommandError(`could not migrate the database: ${describe(error)}`, 1);
  }
  return database;
}

/** An error's message without anything that could carry a connection string. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/postgres(ql)?:\/\/\S+/g, "postgres://…");
}
