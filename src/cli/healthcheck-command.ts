import { parseAddress } from "../config/parse";
import type { Command } from "./commands";

/** For container HEALTHCHECKs: the slim image has no curl. Exit 0 iff /readyz answers 200. */
export const healthcheckCommand: Command = {
  name: "healthcheck",
  summary: "Exit 0 if the server on --http-address is ready (for container health checks)",
  usage: "aibridge healthcheck",
  flags: {},
  async run({ config }) {
    const address = parseAddress(config.httpAddress)!;
    const host = address.hostname === "0.0.0.0" || address.hostname === "::" ? "127.0.0.1" : address.hostname;
    try {
      const response = await fetch(
        `http://${host.includes(":") ? `[${host}]` : host}:${address.port}/readyz`,
        {
          signal: AbortSignal.timeout(3000),
        },
      );
      return response.status === 200 ? 0 : 1;
    } catch {
      return 1;
    }
  },
};
