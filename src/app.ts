import { Elysia } from "elysia";

import { budgetsApi } from "./api/budgets";
import { managementErrors } from "./api/error-handler";
import { healthRoutes } from "./api/health";
import { aibridgeApi } from "./api/interceptions";
import { openapiDocument } from "./api/openapi";
import { pricesApi } from "./api/prices";
import { sessionsApi } from "./api/sessions";
import { spendApi } from "./api/spend";
import { swaggerUi } from "./api/swagger-ui";
import { usersApi } from "./api/users";
import { consoleRoutes } from "./console/serve";
import type { PriceService } from "./cost/price-service";
import { type DataPlaneDeps, dataPlane } from "./dataplane/chain";
import type { Db } from "./db/engine";

export interface AppDeps extends DataPlaneDeps {
  db: Db;
  prices: PriceService;
  now: () => number;
  ready: () => Promise<{ ok: boolean; reason?: string }>;
}

/** The whole HTTP surface: the data plane, docs, console, health and the management API. */
export function createApp(deps: AppDeps) {
  return (
    new Elysia()
      // First: its onError answers data-plane failures before the management handler would.
      .use(dataPlane(deps))
      .use(managementErrors(deps.logger))
      .use(openapiDocument())
      .use(swaggerUi())
      .use(consoleRoutes())
      .use(healthRoutes({ ready: deps.ready }))
      .use(usersApi({ db: deps.db, identities: deps.identities }))
      .use(aibridgeApi({ db: deps.db, identities: deps.identities }))
      .use(budgetsApi({ db: deps.db, identities: deps.identities, budgets: deps.budgets }))
      .use(pricesApi({ prices: deps.prices, identities: deps.identities }))
      .use(spendApi({ db: deps.db, identities: deps.identities, now: deps.now }))
      .use(sessionsApi({ db: deps.db, identities: deps.identities }))
  );
}

export type App = ReturnType<typeof createApp>;
