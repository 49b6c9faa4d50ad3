import { Elysia } from "elysia";

import { type Budgets, budgetMessage } from "../cost/budgets";
import type { Metrics } from "../observability/metrics";
import { flightSlot, routed } from "./context";
import { DataPlaneError } from "./errors";
import type { Flight } from "./flight";

/**
 * The step after authentication (SPEC §6, §15): a user whose monthly spend reached their limit is
 * refused with 403 in the provider's shape, marked not retryable; nothing is recorded or forwarded.
 */
export function checkBudget(
  flight: Flight,
  budgets: Budgets,
  metrics: Pick<Metrics, "budgetRejectionsTotal">,
): void {
  if (!flight.identity) return;
  const verdict = budgets.check(flight.identity.userId);
  if (verdict.ok) return;
  metrics.budgetRejectionsTotal.inc();
  throw new DataPlaneError(403, "budget", budgetMessage(verdict), { "x-should-retry": "false" });
}

/** Budget (`onBeforeHandle`), between authentication and the route. */
export function budgetStep(budgets: Budgets, metrics: Pick<Metrics, "budgetRejectionsTotal">) {
  return new Elysia({ name: "dataplane/budget" })
    .use(flightSlot)
    .onBeforeHandle({ as: "scoped" }, ({ flight }) => {
      checkBudget(routed(flight), budgets, metrics);
    });
}
