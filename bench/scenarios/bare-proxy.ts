/** bench/bare-proxy.ts in front of the mock: the practical limit of any Bun proxy. */
import { join } from "node:path";

import { freePort, startService } from "../processes.ts";
import { PROVIDER_PATHS, providerHeaders, type Scenario } from "./types.ts";

export function bareProxyScenario(): Scenario {
  return {
    id: "bare",
    label: "bare Bun proxy",
    async start({ repoRoot, mockUrl, logDir }) {
      const port = freePort();
      const base = `http://127.0.0.1:${port}`;
      const service = await startService({
        name: "bare-proxy",
        cmd: [process.execPath, join(repoRoot, "bench/bare-proxy.ts")],
        env: { PORT: String(port), UPSTREAM: mockUrl, BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" },
        logDir,
        readyUrl: `${base}/healthz`,
      });
      return {
        pid: service.pid,
        target: (provider) => ({ url: base + PROVIDER_PATHS[provider], headers: providerHeaders(provider) }),
        stop: () => service.stop(),
      };
    },
  };
}
