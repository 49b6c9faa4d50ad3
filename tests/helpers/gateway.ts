import type { Config } from "../../src/config/options";
import { ConfigError, resolveConfig } from "../../src/config/parse";
import { createLogger, type Logger, silentLogger } from "../../src/observability/logger";
import { type RunningServer, type ServerOptions, startServer } from "../../src/server";
import { createTestDatabase, type TestDatabase } from "./database";

export interface TestGateway {
  server: RunningServer;
  url: string;
  /** The bootstrap admin's key (owner). */
  adminKey: string;
  config: Config;
  database: TestDatabase;
  logs: string[];
  stop(): Promise<void>;
}

export function testConfig(overrides: Partial<Config>, database: TestDatabase): Config {
  const base = resolveConfig(new Map(), { env: {}, isTTY: false });
  return {
    ...base,
    httpAddress: "127.0.0.1:0",
    prometheusAddress: "",
    postgresUrl: database.postgresUrl,
    dataDir: database.dataDir,
    shutdownGracePeriod: 5000,
    ...overrides,
  };
}

/** Starts the real gateway in-process on a random port with a fresh database. */
export async function startTestGateway(
  overrides: Partial<Config> = {},
  options: {
    now?: () => number;
    logger?: Logger;
    database?: TestDatabase;
    redisTimings?: ServerOptions["redisTimings"];
    bodyIdleTimeoutMs?: number;
  } = {},
): Promise<TestGateway> {
  const database = options.database ?? (await createTestDatabase());
  const config = testConfig(overrides, database);
  const logs: string[] = [];
  const logger =
    options.logger ??
    (process.env.AIBRIDGE_TEST_LOGS
      ? createLogger("human")
      : createLogger("json", (line) => logs.push(line)));
  const server = await startServer(config, {
    logger,
    announce: () => {},
    now: options.now,
    bodyIdleTimeoutMs: options.bodyIdleTimeoutMs,
    redisTimings: options.redisTimings,
  });
  return {
    server,
    url: server.url,
    adminKey: server.bootstrapKey!,
    config,
    database,
    logs,
    async stop() {
      await server.shutdown();
      if (!options.database) await database.dispose();
    },
  };
}

export { ConfigError, silentLogger };
