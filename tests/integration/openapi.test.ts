import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import SwaggerParser from "@apidevtools/swagger-parser";

import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { api } from "../helpers/http";

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}
interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses?: Record<
    string,
    { description?: string; content?: Record<string, { schema: Record<string, unknown> }> }
  >;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, Record<string, string>> };
  security?: Record<string, string[]>[];
}

interface Route {
  method: string;
  path: string;
  success: string;
  params?: string[];
  query?: string[];
  body?: boolean;
}

/** Every management route (SPEC §9) and what its operation must declare. */
const ROUTES: Route[] = [
  { method: "get", path: "/api/v2/users/me", success: "200" },
  { method: "get", path: "/api/v2/users", success: "200", query: ["limit", "offset"] },
  { method: "post", path: "/api/v2/users", success: "201", body: true },
  { method: "get", path: "/api/v2/users/{user}", success: "200", params: ["user"] },
  { method: "patch", path: "/api/v2/users/{user}", success: "200", params: ["user"], body: true },
  { method: "get", path: "/api/v2/users/{user}/keys", success: "200", params: ["user"] },
  { method: "post", path: "/api/v2/users/{user}/keys", success: "201", params: ["user"], body: true },
  { method: "delete", path: "/api/v2/users/{user}/keys/{id}", success: "204", params: ["user", "id"] },
  {
    method: "get",
    path: "/api/v2/aibridge/interceptions",
    success: "200",
    query: ["q", "limit", "offset", "after_id"],
  },
  { method: "get", path: "/api/v2/aibridge/models", success: "200", query: ["q", "limit", "offset"] },
  { method: "get", path: "/api/v2/aibridge/prices", success: "200", query: ["q"] },
  {
    method: "put",
    path: "/api/v2/aibridge/prices/{provider}/{model}",
    success: "200",
    params: ["provider", "model"],
    body: true,
  },
  {
    method: "delete",
    path: "/api/v2/aibridge/prices/{provider}/{model}",
    success: "204",
    params: ["provider", "model"],
  },
  { method: "get", path: "/api/v2/aibridge/spend", success: "200", query: ["group_by", "q"] },
  { method: "get", path: "/api/v2/users/{user}/budget", success: "200", params: ["user"] },
  { method: "put", path: "/api/v2/users/{user}/budget", success: "200", params: ["user"], body: true },
  {
    method: "get",
    path: "/api/v2/aibridge/sessions",
    success: "200",
    query: ["q", "limit", "offset", "after_session_id"],
  },
  {
    method: "get",
    path: "/api/v2/aibridge/sessions/{session_id}",
    success: "200",
    params: ["session_id"],
    query: ["limit", "after_id", "before_id"],
  },
  { method: "get", path: "/api/v2/aibridge/clients", success: "200", query: ["q", "limit", "offset"] },
];

let gw: TestGateway;
let doc: Document;

beforeAll(async () => {
  gw = await startTestGateway();
  const res = await fetch(`${gw.url}/swagger/json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Document;
});
afterAll(() => gw.stop());

/** The operation for a route; a collection route may be documented with or without its trailing slash. */
function operation(route: Route): Operation | undefined {
  return (doc.paths[route.path] ?? doc.paths[`${route.path}/`])?.[route.method];
}

describe("/swagger/json", () => {
  test("is a valid OpenAPI 3 document according to swagger-parser", async () => {
    expect(doc.openapi).toMatch(/^3\./);
    // validate() dereferences in place, so it gets a copy; its message lists every violation.
    const problems = await SwaggerParser.validate(structuredClone(doc) as never).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(problems).toBeNull();
  });

  for (const route of ROUTES) {
    test(`describes ${route.method.toUpperCase()} ${route.path}`, () => {
      const op = operation(route);
      expect(op).toBeDefined();
      expect(op!.operationId).toBeString();
      expect(op!.tags?.length).toBeGreaterThan(0);
      expect(op!.summary).toBeString();

      const parameters = op!.parameters ?? [];
      for (const name of route.params ?? []) {
        expect(parameters).toContainEqual(expect.objectContaining({ name, in: "path", required: true }));
      }
      for (const name of route.query ?? []) {
        const param = parameters.find((p) => p.name === name && p.in === "query");
        expect(param).toBeDefined();
        expect(param!.required).toBeFalsy();
        expect(param!.schema).toBeDefined();
      }
      if (route.body) expect(op!.requestBody?.content["application/json"]?.schema).toBeDefined();

      const responses = op!.responses ?? {};
      expect(responses[route.success]).toBeDefined();
      if (route.success !== "204")
        expect(responses[route.success]!.content?.["application/json"]?.schema).toBeDefined();
      for (const status of ["400", "401", "403", "500"]) {
        const schema = responses[status]?.content?.["application/json"]?.schema;
        expect(schema).toBeDefined();
        expect(Object.keys(schema!.properties as object).sort()).toEqual([
          "detail",
          "message",
          "validations",
        ]);
        expect(schema!.required).toEqual(["message"]);
      }
    });
  }

  test("the interception result documents every SPEC field and its children", () => {
    const ok = operation(ROUTES[8]!)!.responses!["200"]!.content!["application/json"]!.schema;
    const properties = ok.properties as Record<string, Record<string, unknown>>;
    expect(Object.keys(properties).sort()).toEqual(["count", "results"]);
    expect(properties.count!.type).toBe("integer");
    const item = (properties.results!.items as Record<string, unknown>).properties as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.keys(item).sort()).toEqual(
      [
        "id",
        "api_key_id",
        "initiator",
        "provider",
        "model",
        "client",
        "client_session_id",
        "metadata",
        "credential_kind",
        "credential_hint",
        "started_at",
        "ended_at",
        "cost_micros",
        "thread_parent_id",
        "thread_root_id",
        "session_id",
        "status",
        "error_type",
        "error_message",
        "token_usages",
        "user_prompts",
        "tool_usages",
        "model_thoughts",
      ].sort(),
    );
    expect(Object.keys(item.initiator!.properties as object).sort()).toEqual([
      "avatar_url",
      "id",
      "name",
      "username",
    ]);
    expect(item.started_at).toMatchObject({ type: "string", format: "date-time" });
    for (const child of ["token_usages", "user_prompts", "tool_usages", "model_thoughts"]) {
      expect(item[child]!.type).toBe("array");
      expect((item[child]!.items as Record<string, unknown>).properties).toBeDefined();
    }
    const models = operation(ROUTES[9]!)!.responses!["200"]!.content!["application/json"]!.schema;
    expect(models).toMatchObject({ type: "array", items: { type: "string" } });
  });

  test("the data plane and the docs themselves are not in the document", () => {
    for (const path of Object.keys(doc.paths)) {
      expect(path).not.toMatch(/^\/api\/v2\/aibridge\/(openai|anthropic|\{provider\})\//);
      expect(path).not.toStartWith("/swagger");
    }
  });

  test("Swagger UI's assets: a name that is no asset is a 404, also one an object inherits; no key kept in localStorage", async () => {
    for (const name of ["constructor", "__proto__", "toString", "nope.js"]) {
      expect((await fetch(`${gw.url}/swagger/assets/${name}`)).status).toBe(404);
    }
    expect(await (await fetch(`${gw.url}/swagger`)).text()).not.toContain("persistAuthorization");
  });

  test("declares the API-key security schemes, and Try it out's header really authenticates", async () => {
    const schemes = doc.components?.securitySchemes ?? {};
    expect(schemes.CoderSessionToken).toEqual({ type: "apiKey", in: "header", name: "Coder-Session-Token" });
    expect(schemes.BearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toContainEqual({ CoderSessionToken: [] });
    expect(doc.security).toContainEqual({ BearerAuth: [] });

    // What Swagger UI sends for each scheme is accepted by the routes it documents.
    const headerName = schemes.CoderSessionToken!.name!;
    for (const path of ["/api/v2/aibridge/interceptions", "/api/v2/aibridge/models", "/api/v2/users/me"]) {
      expect((await api(gw.url, path, { headers: { [headerName]: gw.adminKey } })).status).toBe(200);
      expect((await api(gw.url, path, { headers: { authorization: `Bearer ${gw.adminKey}` } })).status).toBe(
        200,
      );
    }
  });
});
