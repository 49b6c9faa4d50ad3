/**
 * The peer: the Portkey gateway (bench/peer, run with Node), pointed at the mock through its
 * `x-portkey-provider` and `x-portkey-custom-host` headers. OpenAI only: its Anthropic route would
 * translate formats, which is not the same work.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

import { freePort, runToCompletion, startService } from "../processes.ts";
import { providerHeaders, type Scenario } from "./types.ts";

const ENTRY = "node_modules/@portkey-ai/gateway/build/start-server.js";

/** Installs bench/peer with npm when its node_modules is missing. */
export async function ensurePeerInstalled(peerDir: string): Promise<void> {
  if (existsSync(join(peerDir, ENTRY))) return;
  process.stderr.write("installing the peer gateway (npm install in bench/peer)…\n");
  await runToCompletion(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: peerDir });
}

export function portkeyScenario(): Scenario {
  return {
    id: "portkey",
    label: "Portkey gateway (Node)",
    async start({ repoRoot, mockUrl, logDir }) {
      const peerDir = join(repoRoot, "bench/peer");
      await ensurePeerInstalled(peerDir);
      const port = freePort();
      const base = `http://127.0.0.1:${port}`;
      const service = await startService({
        name: "portkey",
        // The preload binds it to 127.0.0.1; by itself it listens on every interface.
        cmd: ["node", "--import", "./loopback.mjs", ENTRY, `--port=${port}`, "--headless"],
        cwd: peerDir,
        env: { NODE_ENV: "production" },
        logDir,
        readyUrl: `${base}/`,
      });
      return {
        pid: service.pid,
        target: (provider) =>
          provider === "openai"
            ? {
                url: `${base}/v1/chat/completions`,
                headers: {
                  ...providerHeaders("openai"),
                  "x-portkey-provider": "openai",
                  "x-portkey-custom-host": `${mockUrl}/v1`,
                },
              }
            : null,
        stop: () => service.stop(),
      };
    },
  };
}
