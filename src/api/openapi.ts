import { openapi } from "@elysiajs/openapi";
import { FormatRegistry } from "@sinclair/typebox";
import { Elysia } from "elysia";

import pkg from "../../package.json" with { type: "json" };
import { isUuid } from "../db/uuid";

// Importing the plugin replaces TypeBox's `uuid` format with a check that builds a validation
// schema on every call (~27 µs per value; a page of interceptions holds ~700 ids): restore a
// plain pattern test.
FormatRegistry.Set("uuid", isUuid);

const SPEC_PATH = "/swagger/json";

type Document = {
  paths?: Record<string, Record<string, { responses?: Record<string, { content?: object }> }>>;
};

/**
 * The generator renders a body-less response (204) as `content: {type: "void"}`, which is not a
 * media-type map and makes the document invalid: such `content` is dropped.
 */
function dropInvalidContent(doc: Document): Document {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item)) {
      for (const response of Object.values(operation?.responses ?? {})) {
        if (response?.content && !Object.keys(response.content).some((k) => k.includes("/")))
          delete response.content;
      }
    }
  }
  return doc;
}

/** `/swagger/json`: the OpenAPI document generated from every route's TypeBox schemas. */
export function openapiDocument() {
  return new Elysia({ name: "openapi-document" })
    .onAfterHandle({ as: "scoped" }, ({ path, response }) => {
      if (path === SPEC_PATH) return dropInvalidContent(response as Document);
    })
    .use(openapiPlugin());
}

function openapiPlugin() {
  return openapi({
    path: "/swagger",
    specPath: SPEC_PATH,
    provider: null,
    // The data plane (`/api/v2/aibridge/{provider}/…`), not the management routes that share its prefix.
    exclude: { paths: [/^\/api\/v2\/aibridge\/(?!(prices|spend|sessions)\/)[^/]+\/.*/, /^\/swagger/] },
    documentation: {
      info: {
        title: "aibridge management API",
        version: pkg.version,
        description:
          "Users, API keys and the AI Bridge interception records. Authenticate with an API key in the `Coder-Session-Token` header or as `Authorization: Bearer <key>`.",
      },
      tags: [
        { name: "Users", description: "Users and their API keys" },
        { name: "AI Bridge", description: "Recorded interceptions and models" },
        { name: "Cost", description: "Prices, spend and its CSV export" },
        { name: "Health", description: "Liveness and readiness" },
      ],
      components: {
        securitySchemes: {
          CoderSessionToken: { type: "apiKey", in: "header", name: "Coder-Session-Token" },
          BearerAuth: { type: "http", scheme: "bearer", description: "The API key as a bearer token." },
        },
      },
      security: [{ CoderSessionToken: [] }, { BearerAuth: [] }],
    },
  });
}
