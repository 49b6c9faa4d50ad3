import { afterAll, beforeAll, describe, expect, test } from "bun:test";

import { interceptions } from "../../src/db/schema";
import { startTestGateway, type TestGateway } from "../helpers/gateway";
import { api } from "../helpers/http";

// Reproduce a failure with AIBRIDGE_FUZZ_SEED=<the seed in the failure message>.
const SEED = Number(process.env.AIBRIDGE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROUNDS = 1000;

/** mulberry32: a small seeded PRNG so a failing run can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

const KEYS = [
  "initiator",
  "provider",
  "model",
  "client",
  "started_after",
  "started_before",
  "INITIATOR",
  "Model",
  "",
];
const ATOMS = [
  "me",
  "admin",
  "nobody",
  "openai",
  "gpt-4o",
  "Claude Code",
  "2025-01-02T15:04:05Z",
  "2025-01-02T15:04:05.123456789+05:30",
  "0000-01-01T00:00:00Z",
  "9999-12-31T23:59:59-23:59",
  "2025-02-30T00:00:00Z",
  "yesterday",
  "00000000-0000-0000-0000-000000000000",
  "%",
  "_",
  "\\",
  "\\%",
  "'; DROP TABLE users; --",
  '"',
  '""',
  ":",
  "::",
  "\u0000",
  "\t",
  "\n",
  "é",
  "🦜",
  "\uFFFF",
  "x".repeat(3000),
];
const CHARS = " :\"%_\\'-;()[]{}*?$@!#&=+,./<>|`~^\u0000\t\nabcXYZ019éß漢🦜\u200b";

function randomChars(max: number): string {
  let out = "";
  for (let i = int(max); i > 0; i--) out += pick([...CHARS]);
  return out;
}

function randomTerm(): string {
  const value = pick([
    () => pick(ATOMS),
    () => randomChars(12),
    () => `"${pick(ATOMS)} ${randomChars(4)}"`,
  ])();
  return random() < 0.2 ? value : `${pick([...KEYS, randomChars(5)])}:${value}`;
}

function randomQ(): string {
  return Array.from({ length: int(5) }, randomTerm).join(pick([" ", "  ", "\t", ""]));
}

function randomNumberish(): string {
  return pick([
    () => String(int(2000) - 500),
    () =>
      pick([
        "",
        "0",
        "-0",
        "1e3",
        "0x10",
        "1.5",
        " 5",
        "5 ",
        "+5",
        "١٢",
        "NaN",
        "Infinity",
        "99999999999999999999",
      ]),
    () => String(2 ** 31 + int(10) - 5),
    () => randomChars(6),
  ])();
}

function randomAfterId(known: string[]): string {
  return pick([
    () => pick(known),
    () => pick(known).toUpperCase(),
    () => crypto.randomUUID(),
    () => `${pick(known).slice(0, 35)}${pick(["g", "", "00"])}`,
    () => randomChars(40),
  ])();
}

let gw: TestGateway;
let memberKey = "";
const knownIds: string[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ retention: 0 });
  const created = await api(gw.url, "/api/v2/users", {
    method: "POST",
    key: gw.adminKey,
    body: { username: "mallory", role: "member" },
  });
  const key = await api(gw.url, "/api/v2/users/mallory/keys", { method: "POST", key: gw.adminKey, body: {} });
  memberKey = key.json.key;
  const rows = Array.from({ length: 30 }, (_, i) => ({
    id: crypto.randomUUID(),
    initiatorId: created.json.id as string,
    apiKeyId: "fuzz",
    provider: pick(["openai", "anthropic"]),
    model: pick(["gpt-4o", "claude-%", "a_b", "back\\slash", "é"]),
    client: "Unknown",
    credentialKind: "centralized" as const,
    credentialHint: "",
    startedAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000),
    endedAt: i % 5 === 0 ? null : new Date(Date.UTC(2025, 0, 1) + i * 60_000 + 1000),
  }));
  await gw.server.database.db.insert(interceptions).values(rows);
  knownIds.push(...rows.map((r) => r.id));
});
afterAll(() => gw.stop());

interface Failure {
  request: string;
  status: number;
  body: unknown;
}

/** A response is acceptable when it is a 200 of the right shape or a 400 that says what is wrong. */
function judge(path: string, status: number, body: unknown): boolean {
  if (status === 400) {
    const error = (body ?? {}) as { message?: unknown; detail?: unknown; validations?: unknown };
    const explained =
      typeof error.detail === "string" ||
      (Array.isArray(error.validations) &&
        error.validations.length > 0 &&
        error.validations.every((v) => typeof v?.field === "string" && typeof v?.detail === "string"));
    return typeof error.message === "string" && error.message.length > 0 && explained;
  }
  if (status !== 200) return false;
  if (path.endsWith("/models")) return Array.isArray(body) && body.every((m) => typeof m === "string");
  const page = body as { count?: unknown; results?: unknown };
  return typeof page.count === "number" && Array.isArray(page.results);
}

describe(`management API fuzz (seed ${SEED})`, () => {
  test("arbitrary q, limit, offset and after_id get only 200 or a 400 with a message", async () => {
    const failures: Failure[] = [];
    const statuses = new Map<number, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const path = pick(["/api/v2/aibridge/interceptions", "/api/v2/aibridge/models"]);
      const params = new URLSearchParams();
      if (random() < 0.8) params.append("q", randomQ());
      if (random() < 0.5) params.append("limit", randomNumberish());
      if (random() < 0.4) params.append("offset", randomNumberish());
      if (random() < 0.4) params.append("after_id", randomAfterId(knownIds));
      if (random() < 0.05) params.append("limit", randomNumberish()); // a repeated parameter
      const url = `${path}?${params}`;
      const res = await api(gw.url, url, { key: random() < 0.5 ? gw.adminKey : memberKey });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (!judge(path, res.status, res.json))
        failures.push({ request: url, status: res.status, body: res.json });
    }
    expect(failures.map((f) => ({ ...f, seed: SEED }))).toEqual([]);
    // The generator must reach both outcomes, or it is not testing much.
    expect(statuses.get(200)).toBeGreaterThan(ROUNDS / 20);
    expect(statuses.get(400)).toBeGreaterThan(ROUNDS / 20);
  }, 120_000);

  test("malformed percent-encoding and odd raw query strings are 200 or 400 too", async () => {
    const raw = [
      "q=%",
      "q=%zz",
      "q=%E0%A4%A",
      "limit=%ff",
      "q=a&q=b",
      "limit=1&limit=2",
      "after_id[]=x",
      "q[model]=x",
      "&&&",
      "q",
      "=x",
      "q=%00",
      "offset=1&after_id=00000000-0000-0000-0000-000000000000",
    ];
    for (const path of ["/api/v2/aibridge/interceptions", "/api/v2/aibridge/models"]) {
      for (const query of raw) {
        const res = await api(gw.url, `${path}?${query}`, { key: gw.adminKey });
        expect({ query, ok: judge(path, res.status, res.json), status: res.status }).toEqual({
          query,
          ok: true,
          status: res.status,
        });
      }
    }
  });
});

/** A management answer that is not a server failure: a success, or a 4xx with a message. */
function notAFailure(status: number, body: unknown): boolean {
  if (status >= 500) return false;
  if (status < 400) return true;
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === "string" && message.length > 0;
}

// A lone surrogate has no UTF-8 form to percent-encode: it is sent as the bytes of one (invalid UTF-8).
const segment = (text: string) =>
  text.isWellFormed()
    ? encodeURIComponent(text)
    : encodeURIComponent(text.toWellFormed()).replaceAll("%EF%BF%BD", "%ED%A0%80");

describe(`users and keys: malformed paths and bodies (seed ${SEED})`, () => {
  const NASTY = ["\u0000", "a\u0000b", "\ud800", "x".repeat(5000), "%", "'", "🦜", "", " "];

  test("NUL bytes in path parameters and bodies, impossible lifetimes: 400 with a message, never 500", async () => {
    const cases: [string, string, unknown?][] = [
      ["GET", "/api/v2/users/%00"],
      ["GET", "/api/v2/users/a%00b/keys"],
      ["GET", "/api/v2/users/a%00b/budget"],
      ["PUT", "/api/v2/users/a%00b/budget", { monthly_limit_micros: 1 }],
      ["GET", "/api/v2/users/%ED%A0%80%ff"],
      ["PATCH", "/api/v2/users/a%00b", { name: "n" }],
      ["DELETE", "/api/v2/users/me/keys/%00"],
      ["POST", "/api/v2/users/%00/keys", {}],
      ["PATCH", "/api/v2/users/mallory", { name: "a\u0000b" }],
      ["POST", "/api/v2/users", { username: "nul-name", name: "x\u0000" }],
      ["POST", "/api/v2/users", { username: "nul-email", email: "x\u0000" }],
      ["POST", "/api/v2/users/mallory/keys", { name: "key\u0000" }],
      ["POST", "/api/v2/users/mallory/keys", { lifetime: "100000000h" }],
      ["POST", "/api/v2/users/mallory/keys", { lifetime: "99999999999999999999999h" }],
      ["POST", "/api/v2/users/mallory/keys", { lifetime: "876601h" }],
      ["POST", "/api/v2/users/mallory/keys", { lifetime: "1e400h" }],
      ["POST", "/api/v2/users/mallory/keys", { lifetime: "\u0000" }],
      ["GET", "/api/v2/users?offset=99999999999999999999"],
      ["GET", "/api/v2/users?limit=%00"],
    ];
    const failures: unknown[] = [];
    for (const [method, path, body] of cases) {
      const res = await api(gw.url, path, { method, key: gw.adminKey, body });
      if (res.status !== 400 || !notAFailure(res.status, res.json))
        failures.push({ method, path, body, status: res.status, answer: res.json });
    }
    expect(failures).toEqual([]);
    // The longest lifetime allowed still works.
    const longest = await api(gw.url, "/api/v2/users/mallory/keys", {
      method: "POST",
      key: gw.adminKey,
      body: { lifetime: "876600h" },
    });
    expect(longest.status).toBe(201);
  });

  test("random path parameters and bodies on every users and keys route: never a 500", async () => {
    const text = () => pick([() => pick(NASTY), () => randomChars(10), () => pick(ATOMS.slice(2))])();
    // Not "me" or "admin": the fuzz must not suspend or demote the key it runs with.
    const ref = () => segment(pick([() => randomChars(8), () => pick(NASTY), () => "mallory"])());
    const failures: unknown[] = [];
    for (let round = 0; round < 200; round++) {
      const [method, path, body] = pick([
        () => ["GET", `/api/v2/users/${ref()}`, undefined],
        () => ["GET", `/api/v2/users/${ref()}/keys`, undefined],
        () => ["PATCH", `/api/v2/users/${ref()}`, { name: text(), status: "active" }],
        () => ["POST", "/api/v2/users", { username: text(), name: text(), email: text() }],
        () => ["POST", `/api/v2/users/${ref()}/keys`, { name: text(), lifetime: text() }],
        () => ["DELETE", `/api/v2/users/${ref()}/keys/${segment(text())}`, undefined],
      ] as (() => [string, string, unknown])[])();
      const res = await api(gw.url, path, { method, key: gw.adminKey, body });
      if (!notAFailure(res.status, res.json))
        failures.push({ method, path, body, status: res.status, answer: res.json, seed: SEED });
    }
    expect(failures).toEqual([]);
  });

  test("nothing the fuzz sent was logged as a server failure, nor any SQL parameter", () => {
    const logs = gw.logs.join("");
    expect(logs).not.toContain("unhandled management error");
    expect(logs).not.toContain("params:");
  });
});
