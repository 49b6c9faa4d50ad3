import { providerError } from "../bridge/error-response";
import type { Flight } from "../bridge/flight";
import type { Metrics } from "../observability/metrics";
import { type Budgets, budgetMessage } from "./budgets";

/**
 * The step after authentication (SPEC §6, §15): a user whose monthly spend reached their limit is
 * refused with 403 in the provider's shape, marked not retryable; nothing is recorded or forwarded.
 */
export function budgetHook(budgets: Budgets, metrics: Pick<Metrics, "budgetRejectionsTotal">) {
  return ({ flight }: { flight: Flight }) => {
    if (!flight.identity) return;
    const verdict = budgets.check(flight.identity.userId);
    if (verdict.ok) return;
    metrics.budgetRejectionsTotal.inc();
    return providerError(flight, 403, "budget", budgetMessage(verdict), { "x-should-retry": "false" });
  };
}
