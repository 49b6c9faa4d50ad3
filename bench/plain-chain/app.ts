import { Elysia } from "elysia";

import { managementErrors } from "../../src/api/error-handler.ts";
import { healthRoutes } from "../../src/api/health.ts";
import { aibridgeApi } from "../../src/api/interceptions.ts";
import { usersApi } from "../../src/api/users.ts";
import type { App, AppDeps } from "../../src/app.ts";
import { plainDataPlane } from "./data-plane.ts";

const ROUTE = "/api/v2/aibridge/:provider/*";

/** The gateway's HTTP surface with the plain-call data plane on a raw Bun route (no Elysia lifecycle). */
export function createPlainApp(deps: AppDeps): App {
  const handler = plainDataPlane(deps);
  return new Elysia({ serve: { routes: { [ROUTE]: handler } } })
    .use(managementErrors(deps.logger))
    .use(healthRoutes({ ready: deps.ready }))
    .use(usersApi({ db: deps.db, identities: deps.identities }))
    .use(aibridgeApi({ db: deps.db, identities: deps.identities })) as unknown as App;
}
