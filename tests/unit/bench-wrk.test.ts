import { describe, expect, test } from "bun:test";

import { parseWrkOutput, wrkScript } from "../../bench/load/wrk.ts";

describe("wrkScript", () => {
  test("sets the method, the body and every header as Lua long strings", () => {
    const script = wrkScript({
      url: "http://127.0.0.1:1/v1/chat/completions",
      headers: { "content-type": "application/json", authorization: "Bearer k" },
      body: '{"model":"m"}',
    });
    expect(script).toContain('wrk.method = "POST"');
    expect(script).toContain('wrk.body = [=[{"model":"m"}]=]');
    // A space after the bracket: `[[` would open a long string.
    expect(script).toContain("wrk.headers[ [=[content-type]=] ] = [=[application/json]=]");
    expect(script).toContain("wrk.headers[ [=[authorization]=] ] = [=[Bearer k]=]");
    expect(script).toContain("done = function(summary, latency, requests)");
  });

  test("a body holding a closing long bracket gets a deeper level", () => {
    const script = wrkScript({ url: "u", headers: {}, body: "a]=]b]==]c" });
    expect(script).toContain("wrk.body = [===[a]=]b]==]c]===]");
  });
});

describe("parseWrkOutput", () => {
  test("reads the summary line among wrk's own output", () => {
    const output = [
      "Running 10s test @ http://127.0.0.1:1/",
      "  2 threads and 64 connections",
      'WRK_JSON {"requests":250000,"duration_us":10000000,"status":3,"connect":1,"read":2,"write":0,"timeout":4,"p50":250,"p99":1200}',
      "Requests/sec:  25000.00",
    ].join("\n");
    expect(parseWrkOutput(output)).toEqual({
      requests: 250000,
      durationS: 10,
      rps: 25000,
      non2xx: 3,
      socketErrors: 7,
      p50Us: 250,
      p99Us: 1200,
    });
  });

  test("no summary is an error that shows the output", () => {
    expect(() => parseWrkOutput("unable to connect")).toThrow(/unable to connect/);
  });

  test("a zero duration gives 0 req/s", () => {
    expect(parseWrkOutput('WRK_JSON {"requests":0,"duration_us":0}').rps).toBe(0);
  });
});
