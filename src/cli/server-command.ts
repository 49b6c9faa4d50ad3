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
    // Exit 3: records had to be spilled to disk (SPEC §12, §13); the next start replays them.
    const done = new Promise<number>((resolve) => {
      const stop = (signal: string) => {
        logger.info("signal received", { signal });
        running.shutdown().then(
          ({ spilled }) => resolve(spilled > 0 ? 3 : 0),
          (error) => {
            logger.error("shutdown failed", { error });
            resolve(1);
          },
        );
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return await done;
  },
};
