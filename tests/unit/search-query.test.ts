import { describe, expect, test } from "bun:test";

import {
  escapeLikePattern,
  type InterceptionFilter,
  parseInterceptionQuery,
  parseModelsQuery,
  parseRfc3339,
  type Validation,
} from "../../src/api/search-query";

const UUID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const KEYS = "initiator, provider, model, client, started_after, started_before";
const at = (iso: string) => new Date(iso);
const unknownKey = (key: string): Validation => ({
  field: key,
  detail: `Unknown search key "${key}"; valid keys are ${KEYS}.`,
});
const badTime = (key: string, value: string): Validation => ({
  field: key,
  detail: `Invalid RFC 3339 date-time "${value}" for ${key}; expected a date, time and zone such as 2025-01-02T15:04:05Z.`,
});
const emptyValue = (key: string, raw: string): Validation => ({
  field: key,
  detail: `Empty value for ${key} in term "${raw}".`,
});
const unterminated = (field: string, raw: string): Validation => ({
  field,
  detail: `Unterminated double quote in term "${raw}".`,
});
const emptyKey = (raw: string): Validation => ({
  field: "q",
  detail: `Term "${raw}" has an empty key; expected key:value with key one of ${KEYS}.`,
});
const conflict = (key: string, a: string, b: string): Validation => ({
  field: key,
  detail: `${key} is given more than once with different values ("${a}" and "${b}").`,
});

describe("parseInterceptionQuery: valid queries", () => {
  const cases: [string | undefined, InterceptionFilter][] = [
    [undefined, {}],
    ["", {}],
    ["   ", {}],
    ["\t\n ", {}],
    ["me", { initiator: { kind: "me" } }],
    ["ME", { initiator: { kind: "me" } }],
    ["initiator:me", { initiator: { kind: "me" } }],
    ["initiator:Me", { initiator: { kind: "me" } }],
    ["alice", { initiator: { kind: "username", username: "alice" } }],
    ["initiator:Alice", { initiator: { kind: "username", username: "Alice" } }],
    ["INITIATOR:bob", { initiator: { kind: "username", username: "bob" } }],
    [`initiator:${UUID}`, { initiator: { kind: "id", id: UUID } }],
    [`initiator:${UUID.toUpperCase()}`, { initiator: { kind: "id", id: UUID } }],
    [UUID, { initiator: { kind: "id", id: UUID } }],
    ['"me"', { initiator: { kind: "me" } }],
    ['"al ice"', { initiator: { kind: "username", username: "al ice" } }],
    ['"a:b"', { initiator: { kind: "username", username: "a:b" } }],
    ["provider:anthropic", { provider: "anthropic" }],
    ["Provider:OpenAI", { provider: "OpenAI" }],
    ["model:gpt-4o", { model: "gpt-4o" }],
    ['model:"gpt 4"', { model: "gpt 4" }],
    ['model:gpt" "4', { model: "gpt 4" }],
    ['"model":x', { model: "x" }],
    ['"model:x"', { initiator: { kind: "username", username: "model:x" } }],
    ["model:a:b", { model: "a:b" }],
    ['model:"a:b c"', { model: "a:b c" }],
    ["model:50%_off\\x", { model: "50%_off\\x" }],
    ["model:日本語🚀", { model: "日本語🚀" }],
    ["client:claude-code", { client: "claude-code" }],
    ['client:"Visual Studio Code"', { client: "Visual Studio Code" }],
    ["model:x model:x", { model: "x" }],
    ["me initiator:ME", { initiator: { kind: "me" } }],
    [`${UUID} initiator:${UUID.toUpperCase()}`, { initiator: { kind: "id", id: UUID } }],
    ["started_after:2025-01-01T00:00:00Z", { startedAfter: at("2025-01-01T00:00:00Z") }],
    ["STARTED_AFTER:2025-01-01t00:00:00z", { startedAfter: at("2025-01-01T00:00:00Z") }],
    ["started_before:2025-06-30T23:59:59.999Z", { startedBefore: at("2025-06-30T23:59:59.999Z") }],
    ["started_after:2025-01-01T02:00:00+02:00", { startedAfter: at("2025-01-01T00:00:00Z") }],
    ["started_after:2024-12-31T19:30:00-04:30", { startedAfter: at("2025-01-01T00:00:00Z") }],
    ["started_after:2025-01-01T00:00:00.5Z", { startedAfter: at("2025-01-01T00:00:00.500Z") }],
    ["started_after:2025-01-01T00:00:00.123456789Z", { startedAfter: at("2025-01-01T00:00:00.123Z") }],
    ['started_after:"2025-01-01T00:00:00Z"', { startedAfter: at("2025-01-01T00:00:00Z") }],
    ["started_after:2024-02-29T00:00:00Z", { startedAfter: at("2024-02-29T00:00:00Z") }],
    ["started_after:2000-02-29T00:00:00Z", { startedAfter: at("2000-02-29T00:00:00Z") }],
    ["started_after:0050-01-01T00:00:00Z", { startedAfter: at("0050-01-01T00:00:00Z") }],
    [
      "started_after:2025-01-01T00:00:00Z started_after:2025-01-01T01:00:00+01:00",
      { startedAfter: at("2025-01-01T00:00:00Z") },
    ],
    [
      "started_after:2025-01-01T00:00:00Z started_before:2025-01-01T00:00:00.001Z",
      { startedAfter: at("2025-01-01T00:00:00Z"), startedBefore: at("2025-01-01T00:00:00.001Z") },
    ],
    [
      '  me   provider:openai\tmodel:"gpt 4o"  client:cli started_after:2025-01-01T00:00:00Z started_before:2025-02-01T00:00:00Z ',
      {
        initiator: { kind: "me" },
        provider: "openai",
        model: "gpt 4o",
        client: "cli",
        startedAfter: at("2025-01-01T00:00:00Z"),
        startedBefore: at("2025-02-01T00:00:00Z"),
      },
    ],
  ];
  for (const [q, filter] of cases) {
    test(JSON.stringify(q), () => {
      expect(parseInterceptionQuery(q)).toEqual({ ok: true, filter });
    });
  }
});

describe("parseInterceptionQuery: invalid queries", () => {
  const cases: [string, Validation[]][] = [
    ["foo:bar", [unknownKey("foo")]],
    ["Foo:bar", [unknownKey("Foo")]],
    ["user:alice", [unknownKey("user")]],
    ['"fo o":x', [unknownKey("fo o")]],
    ["foo:", [unknownKey("foo")]],
    ['foo:"bar', [unknownKey("foo"), unterminated("foo", 'foo:"bar')]],
    [":x", [emptyKey(":x")]],
    [":", [emptyKey(":")]],
    ['"":x', [emptyKey('"":x')]],
    ["model:", [emptyValue("model", "model:")]],
    ['model:""', [emptyValue("model", 'model:""')]],
    ["initiator:", [emptyValue("initiator", "initiator:")]],
    ['""', [emptyValue("initiator", '""')]],
    ["started_after:", [emptyValue("started_after", "started_after:")]],
    ['model:"gpt 4', [unterminated("model", 'model:"gpt 4')]],
    ['model:"gpt 4 provider:x', [unterminated("model", 'model:"gpt 4 provider:x')]],
    ['"alice', [unterminated("initiator", '"alice')]],
    ['"', [unterminated("initiator", '"')]],
    ["model:a\u0000b", [{ field: "model", detail: "Value for model must not contain NUL characters." }]],
    ["started_after:2025-01-01", [badTime("started_after", "2025-01-01")]],
    ["started_after:yesterday", [badTime("started_after", "yesterday")]],
    ["started_after:2025-13-01T00:00:00Z", [badTime("started_after", "2025-13-01T00:00:00Z")]],
    ["started_after:2025-00-01T00:00:00Z", [badTime("started_after", "2025-00-01T00:00:00Z")]],
    ["started_after:2025-02-29T00:00:00Z", [badTime("started_after", "2025-02-29T00:00:00Z")]],
    ["started_after:1900-02-29T00:00:00Z", [badTime("started_after", "1900-02-29T00:00:00Z")]],
    ["started_after:2025-04-31T00:00:00Z", [badTime("started_after", "2025-04-31T00:00:00Z")]],
    ["started_after:2025-01-00T00:00:00Z", [badTime("started_after", "2025-01-00T00:00:00Z")]],
    ["started_after:2025-01-01T24:00:00Z", [badTime("started_after", "2025-01-01T24:00:00Z")]],
    ["started_after:2025-01-01T00:60:00Z", [badTime("started_after", "2025-01-01T00:60:00Z")]],
    ["started_after:2025-01-01T00:00:60Z", [badTime("started_after", "2025-01-01T00:00:60Z")]],
    ["started_after:2025-01-01T00:00:00", [badTime("started_after", "2025-01-01T00:00:00")]],
    ["started_after:2025-01-01T00:00Z", [badTime("started_after", "2025-01-01T00:00Z")]],
    ["started_after:2025-01-01T00:00:00.Z", [badTime("started_after", "2025-01-01T00:00:00.Z")]],
    ["started_after:2025-01-01T00:00:00+0200", [badTime("started_after", "2025-01-01T00:00:00+0200")]],
    ["started_after:2025-01-01T00:00:00+24:00", [badTime("started_after", "2025-01-01T00:00:00+24:00")]],
    ["started_after:2025-01-01T00:00:00+02:60", [badTime("started_after", "2025-01-01T00:00:00+02:60")]],
    ["started_after:2025-1-01T00:00:00Z", [badTime("started_after", "2025-1-01T00:00:00Z")]],
    ["started_after:1735689600", [badTime("started_after", "1735689600")]],
    ["started_before:２０２５-01-01T00:00:00Z", [badTime("started_before", "２０２５-01-01T00:00:00Z")]],
    ['started_before:"2025-01-01 00:00:00Z"', [badTime("started_before", "2025-01-01 00:00:00Z")]],
    [
      "started_after:2025-01-01T00:00:00Z started_before:2025-01-01T00:00:00Z",
      [
        {
          field: "started_before",
          detail:
            "started_before (2025-01-01T00:00:00.000Z) must be after started_after (2025-01-01T00:00:00.000Z).",
        },
      ],
    ],
    [
      "started_before:2024-01-01T00:00:00Z started_after:2025-01-01T00:00:00+01:00",
      [
        {
          field: "started_before",
          detail:
            "started_before (2024-01-01T00:00:00.000Z) must be after started_after (2024-12-31T23:00:00.000Z).",
        },
      ],
    ],
    ["model:a model:b", [conflict("model", "a", "b")]],
    ["model:a model:b model:b", [conflict("model", "a", "b")]],
    ["model:a model:b model:c", [conflict("model", "a", "b"), conflict("model", "a", "c")]],
    ["model:a MODEL:A", [conflict("model", "a", "A")]],
    ["alice bob", [conflict("initiator", "alice", "bob")]],
    ["me initiator:alice", [conflict("initiator", "me", "alice")]],
    [
      "started_after:2025-01-01T00:00:00Z started_after:2025-01-02T00:00:00Z",
      [conflict("started_after", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")],
    ],
    // An invalid repeat is reported as invalid, not as a conflict.
    ["model:a model:", [emptyValue("model", "model:")]],
    [
      'foo:1 :2 model: started_after:2025-01-01 started_before:later model:"x bar:baz provider:p',
      [
        unknownKey("foo"),
        emptyKey(":2"),
        emptyValue("model", "model:"),
        badTime("started_after", "2025-01-01"),
        badTime("started_before", "later"),
        unterminated("model", 'model:"x bar:baz provider:p'),
      ],
    ],
    [
      "provider:a provider:b foo:x started_after:2025-02-01T00:00:00Z started_before:2025-01-01T00:00:00Z",
      [
        conflict("provider", "a", "b"),
        unknownKey("foo"),
        {
          field: "started_before",
          detail:
            "started_before (2025-01-01T00:00:00.000Z) must be after started_after (2025-02-01T00:00:00.000Z).",
        },
      ],
    ],
    ["foo:1 foo:2", [unknownKey("foo")]],
  ];
  for (const [q, validations] of cases) {
    test(JSON.stringify(q), () => {
      expect(parseInterceptionQuery(q)).toEqual({ ok: false, validations });
    });
  }
});

describe("parseRfc3339", () => {
  test("applies the offset and keeps milliseconds", () => {
    expect(parseRfc3339("2025-03-04T05:06:07.089+05:30")?.toISOString()).toBe("2025-03-03T23:36:07.089Z");
    expect(parseRfc3339("2025-03-04T05:06:07-00:00")?.toISOString()).toBe("2025-03-04T05:06:07.000Z");
  });
  test("handles years below 100 without the Date.UTC 19xx mapping", () => {
    expect(parseRfc3339("0001-01-01T00:00:00Z")?.getUTCFullYear()).toBe(1);
    expect(parseRfc3339("0000-02-29T00:00:00Z")?.getUTCFullYear()).toBe(0);
  });
  test("last day of every month", () => {
    const last = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    last.forEach((days, i) => {
      const month = String(i + 1).padStart(2, "0");
      expect(parseRfc3339(`2023-${month}-${days}T00:00:00Z`)).not.toBeNull();
      expect(parseRfc3339(`2023-${month}-${days + 1}T00:00:00Z`)).toBeNull();
    });
  });
});

describe("parseModelsQuery", () => {
  const valid: [string | undefined, string | null][] = [
    [undefined, null],
    ["", null],
    ["  ", null],
    ["gpt", "gpt"],
    ["GPT-4", "GPT-4"],
    ["model:claude", "claude"],
    ["MODEL:claude", "claude"],
    ["Model:Claude-3", "Claude-3"],
    ['"gpt 4"', "gpt 4"],
    ['model:"gpt 4"', "gpt 4"],
    ["model:a:b", "a:b"],
    ["50%_x\\y", "50%_x\\y"],
    ["model:%", "%"],
    ["model:_", "_"],
    ["model:\\", "\\"],
    ["model:gpt gpt", "gpt"],
    ["模型", "模型"],
  ];
  for (const [q, prefix] of valid) {
    test(`valid ${JSON.stringify(q)}`, () => {
      expect(parseModelsQuery(q)).toEqual({ ok: true, prefix });
    });
  }

  const invalid: [string, Validation[]][] = [
    [
      "provider:openai",
      [{ field: "provider", detail: 'Unknown search key "provider"; valid keys are model.' }],
    ],
    [
      "initiator:me",
      [{ field: "initiator", detail: 'Unknown search key "initiator"; valid keys are model.' }],
    ],
    [":x", [{ field: "q", detail: 'Term ":x" has an empty key; expected key:value with key one of model.' }]],
    ["model:", [{ field: "model", detail: 'Empty value for model in term "model:".' }]],
    ['model:"gpt', [{ field: "model", detail: 'Unterminated double quote in term "model:"gpt".' }]],
    [
      "gpt claude",
      [
        {
          field: "model",
          detail: 'model is given more than once with different values ("gpt" and "claude").',
        },
      ],
    ],
    [
      "foo:1 model:a model:b",
      [
        { field: "foo", detail: 'Unknown search key "foo"; valid keys are model.' },
        { field: "model", detail: 'model is given more than once with different values ("a" and "b").' },
      ],
    ],
  ];
  for (const [q, validations] of invalid) {
    test(`invalid ${JSON.stringify(q)}`, () => {
      expect(parseModelsQuery(q)).toEqual({ ok: false, validations });
    });
  }
});

describe("escapeLikePattern", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["gpt-4o", "gpt-4o"],
    ["50%", "50\\%"],
    ["a_b", "a\\_b"],
    ["a\\b", "a\\\\b"],
    ["\\%_", "\\\\\\%\\_"],
    ["%%__\\\\", "\\%\\%\\_\\_\\\\\\\\"],
    ["日本_語", "日本\\_語"],
  ];
  for (const [input, escaped] of cases) {
    test(JSON.stringify(input), () => {
      expect(escapeLikePattern(input)).toBe(escaped);
    });
  }

  test("unescaping gives back the input", () => {
    for (const s of ["", "a", "%_\\", "x\\%y_z\\\\", "\\\\%%"]) {
      expect(escapeLikePattern(s).replace(/\\(.)/g, "$1")).toBe(s);
    }
  });
});

describe("randomized queries", () => {
  // Deterministic PRNG (mulberry32) so a failure is reproducible from the printed query.
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const pieces = [
    "initiator",
    "provider",
    "model",
    "client",
    "started_after",
    "started_before",
    "MODEL",
    "me",
    UUID,
    "2025-01-01T00:00:00Z",
    "2025-13-01T00:00:00+02:00",
    ":",
    "::",
    '"',
    '""',
    " ",
    "  ",
    "\t",
    "\n",
    "\u00a0",
    "\u3000",
    "a",
    "%",
    "_",
    "\\",
    "\u0000",
    "é",
    "日本",
    "🚀",
    "\ud800",
    "\udfff",
    "'",
    "=",
    "-",
  ];
  const check = (result: { ok: true } | { ok: false; validations: Validation[] }) => {
    if (result.ok) return;
    expect(result.validations.length).toBeGreaterThan(0);
    for (const v of result.validations) {
      expect(typeof v.field).toBe("string");
      expect(typeof v.detail).toBe("string");
      expect(v.field.length).toBeGreaterThan(0);
      expect(v.detail.length).toBeGreaterThan(0);
    }
  };

  test("never throw; either ok or non-empty validations with non-empty field and detail", () => {
    const next = rng(20250101);
    for (let n = 0; n < 5000; n++) {
      let q = "";
      const length = Math.floor(next() * 12);
      for (let i = 0; i < length; i++) {
        q +=
          next() < 0.8
            ? pieces[Math.floor(next() * pieces.length)]!
            : String.fromCharCode(Math.floor(next() * 0x10000));
      }
      try {
        check(parseInterceptionQuery(q));
        check(parseModelsQuery(q));
      } catch (error) {
        throw new Error(`query ${JSON.stringify(q)}: ${error}`);
      }
    }
  });

  test("valid filters only hold non-empty strings and valid dates in order", () => {
    const next = rng(7);
    for (let n = 0; n < 3000; n++) {
      let q = "";
      for (let i = 0; i < 6; i++) q += pieces[Math.floor(next() * pieces.length)]!;
      const result = parseInterceptionQuery(q);
      if (!result.ok) continue;
      const { filter } = result;
      for (const text of [filter.provider, filter.model, filter.client]) {
        if (text !== undefined) expect(text.length).toBeGreaterThan(0);
      }
      for (const date of [filter.startedAfter, filter.startedBefore]) {
        if (date !== undefined) expect(Number.isNaN(date.getTime())).toBe(false);
      }
      if (filter.startedAfter && filter.startedBefore) {
        expect(filter.startedBefore.getTime()).toBeGreaterThan(filter.startedAfter.getTime());
      }
    }
  });
});
