export interface ReceivedRequest {
  method: string;
  path: string;
  search: string;
  headers: Headers;
  body: string;
}

export type MockHandler = (request: ReceivedRequest) => Response | Promise<Response>;

/** A provider stand-in on a random port: records what it received, answers what the test says. */
export class MockUpstream {
  readonly received: ReceivedRequest[] = [];
  handler: MockHandler = () => Response.json({ error: "no handler" }, { status: 500 });
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor() {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      fetch: async (request) => {
        const url = new URL(request.url);
        const received: ReceivedRequest = {
          method: request.method,
          path: url.pathname,
          search: url.search,
          headers: request.headers,
          body: await request.text(),
        };
        this.received.push(received);
        return this.handler(received);
      },
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  get last(): ReceivedRequest {
    const last = this.received.at(-1);
    if (!last) throw new Error("the mock upstream received nothing");
    return last;
  }

  stop(): void {
    this.server.stop(true);
  }
}

/** A response whose body is written chunk by chunk under the test's control. */
export function controlledStream(
  headers: Record<string, string> = { "content-type": "text/event-stream" },
  status = 200,
) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const encoder = new TextEncoder();
  return {
    response: new Response(stream, { status, headers }),
    write(chunk: string | Uint8Array) {
      controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
    },
    close() {
      controller.close();
    },
    error(reason: unknown) {
      controller.error(reason);
    },
  };
}

/** A body served in exactly the given byte chunks. */
export function chunkedResponse(
  chunks: Uint8Array[],
  headers: Record<string, string>,
  status = 200,
): Response {
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[i++];
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  return new Response(stream, { status, headers });
}

export function sse(events: { event?: string; data: unknown }[]): string {
  return events
    .map(
      (e) =>
        `${e.event ? `event: ${e.event}\n` : ""}data: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}\n\n`,
    )
    .join("");
}
