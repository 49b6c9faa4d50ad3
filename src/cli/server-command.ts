import { redisTimingsFromEnv } from "../cluster/test-timings";
import { createLogger } from "../observability/logger";
import { startServer } from "../server";
import type { Command } from "./commands";

export const serverCommand: Command = {
  name: "server",
  summary: "Run the gateway (the default command)",
  usage: "aibridge [server] [options]",
  flags: {},
  async run({ config }) {
    const logger = createLogger(config.logFormat);
    const running = await startServer(config, { logger, redisTimings: redisTimingsFromEnv(process.env) });
    const done = new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info("signal received", { signal });
        running.shutdown().then(resolve, (error) => {
          logger.error("shutdown failed", { error });
          resolve();
        });
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    await done;
    return 0;
  },
};
