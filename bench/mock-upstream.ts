/**
 * Mock upstream for the benchmark: OpenAI `POST /v1/chat/completions` and Anthropic
 * `POST /v1/messages`, each as one JSON body or (`"stream": true`) as an SSE stream of ~30 events,
 * usage included, in the providers' exact wire formats.
 *
 *   bun bench/mock-upstream.ts [--port 0] [--latency-ms 0|60] [--event-interval-ms 0] [--hold-timeout-ms 60000]
 *   (or MOCK_PORT, MOCK_LATENCY_MS, MOCK_EVENT_INTERVAL_MS, MOCK_HOLD_TIMEOUT_MS)
 *
 * `--latency-ms` waits that long before the first byte. A streaming request whose model ends in
 * `-hold` sends its first event, then waits for `POST /__release` (or the hold timeout) before the
 * rest. `GET /__stats` → `{"requests","held","peakHeld"}`; `POST /__reset` re-arms holding and
 * clears the peak. Prints `listening http://127.0.0.1:PORT` on stdout once ready.
 */
import { parseArgs } from "node:util";

import { HOLD_MODEL_SUFFIX, Holds } from "./mock/holds.ts";
import {
  anthropicMessage,
  anthropicStreamEvents,
  openaiCompletion,
  openaiStreamEvents,
  type Template,
} from "./mock/payloads.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.MOCK_PORT ?? "0" },
    "latency-ms": { type: "string", default: process.env.MOCK_LATENCY_MS ?? "0" },
    "event-interval-ms": { type: "string", default: process.env.MOCK_EVENT_INTERVAL_MS ?? "0" },
    "hold-timeout-ms": { type: "string", default: process.env.MOCK_HOLD_TIMEOUT_MS ?? "60000" },
  },
});

function nonNegative(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    process.stderr.write(`mock-upstream: --${name} must be a number ≥ 0, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

const latencyMs = nonNegative("latency-ms", values["latency-ms"]);
const eventIntervalMs = nonNegative("event-interval-ms", values["event-interval-ms"]);
const holdTimeoutMs = nonNegative("hold-timeout-ms", values["hold-timeout-ms"]);

const holds = new Holds();
let requests = 0;

/** Templates per model name: clients use a handful, so the cache stays tiny. */
function memo<T>(build: (model: string) => T): (model: string) => T {
  const cache = new Map<string, T>();
  return (model) => {
    let value = cache.get(model);
    if (value === undefined) {
      if (cache.size > 64) cache.clear();
      value = build(model);
      cache.set(model, value);
    }
    return value;
  };
}

const openaiJson = memo(openaiCompletion);
const openaiStreamWithUsage = memo((model) => openaiStreamEvents(model, true));
const openaiStreamWithoutUsage = memo((model) => openaiStreamEvents(model, false));
const anthropicJson = memo(anthropicMessage);
const anthropicStream = memo(anthropicStreamEvents);

const JSON_TYPE = "application/json";
const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

interface ParsedRequest {
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

async function parse(req: Request): Promise<ParsedRequest | null> {
  try {
    const body = (await req.json()) as {
      model?: unknown;
      stream?: unknown;
      stream_options?: { include_usage?: unknown };
    };
    return {
      model: typeof body.model === "string" ? body.model : "unknown",
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
    };
  } catch {
    return null;
  }
}

function sseResponse(
  events: Template[],
  id: string,
  hold: boolean,
  headers: Record<string, string>,
): Response {
  const stream = new ReadableStream({
    type: "direct",
    async pull(controller) {
      try {
        for (let i = 0; i < events.length; i++) {
          if (i > 0 && eventIntervalMs > 0) await Bun.sleep(eventIntervalMs);
          controller.write((events[i] as Template).render(id));
          controller.flush();
          if (i === 0 && hold) await holds.park(holdTimeoutMs);
        }
      } catch {
        // The client went away; nothing left to send.
      }
      controller.close();
    },
  });
  return new Response(stream, { headers: { ...SSE_HEADERS, ...headers } });
}

async function openai(req: Request, n: number): Promise<Response> {
  const parsed = await parse(req);
  if (!parsed) {
    return Response.json(
      {
        error: {
          message: "We could not parse the JSON body of your request.",
          type: "invalid_request_error",
          code: null,
        },
      },
      { status: 400 },
    );
  }
  if (latencyMs > 0) await Bun.sleep(latencyMs);
  const id = `chatcmpl-bench${n}`;
  const headers = { "x-request-id": `req_bench${n}`, "openai-processing-ms": String(latencyMs) };
  if (!parsed.stream) {
    return new Response(openaiJson(parsed.model).render(id), {
      headers: { "content-type": JSON_TYPE, ...headers },
    });
  }
  const events = parsed.includeUsage
    ? openaiStreamWithUsage(parsed.model)
    : openaiStreamWithoutUsage(parsed.model);
  return sseResponse(events, id, parsed.model.endsWith(HOLD_MODEL_SUFFIX), headers);
}

async function anthropic(req: Request, n: number): Promise<Response> {
  const parsed = await parse(req);
  if (!parsed) {
    return Response.json(
      { type: "error", error: { type: "invalid_request_error", message: "messages: invalid JSON body" } },
      { status: 400 },
    );
  }
  if (latencyMs > 0) await Bun.sleep(latencyMs);
  const id = `msg_bench${n}`;
  const headers = { "request-id": `req_bench${n}` };
  if (!parsed.stream) {
    return new Response(anthropicJson(parsed.model).render(id), {
      headers: { "content-type": JSON_TYPE, ...headers },
    });
  }
  return sseResponse(anthropicStream(parsed.model), id, parsed.model.endsWith(HOLD_MODEL_SUFFIX), headers);
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: nonNegative("port", values.port),
  reusePort: false,
  idleTimeout: 0,
  development: false,
  fetch(req) {
    const path = new URL(req.url).pathname;
    if (req.method === "POST") {
      if (path.endsWith("/v1/chat/completions")) return openai(req, ++requests);
      if (path.endsWith("/v1/messages")) return anthropic(req, ++requests);
      if (path === "/__release") return Response.json({ released: holds.releaseAll() });
      if (path === "/__reset") {
        holds.reset();
        return Response.json({ ok: true });
      }
    }
    if (path === "/__stats") return Response.json({ requests, held: holds.held, peakHeld: holds.peakHeld });
    if (path === "/healthz") return new Response("ok");
    return Response.json(
      { error: { message: `no mock for ${req.method} ${path}`, type: "invalid_request_error" } },
      {
        status: 404,
      },
    );
  },
});

process.stdout.write(`listening http://127.0.0.1:${server.port}\n`);
