/** Straight to the mock: the floor every other scenario is compared with. */
import { PROVIDER_PATHS, providerHeaders, type Scenario } from "./types.ts";

export function directScenario(mockPid: number): Scenario {
  return {
    id: "direct",
    label: "direct (no proxy)",
    async start({ mockUrl }) {
      return {
        pid: mockPid,
        target: (provider) => ({
          url: mockUrl + PROVIDER_PATHS[provider],
          headers: providerHeaders(provider),
        }),
        stop: async () => {},
      };
    },
  };
}
