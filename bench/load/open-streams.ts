/**
 * Opens `--count` streaming requests at once and keeps them open (the mock holds each after its
 * first event). Prints one JSON line `{"event":"open",...}` as soon as every stream has delivered its
 * first chunk (or `--open-timeout-ms` passed), then reads every stream to its end (the runner
 * releases them upstream) and prints `{"event":"done",...}`. Needs BUN_CONFIG_MAX_HTTP_REQUESTS
 * above `--count` in its environment.
 *
 *   bun bench/load/open-streams.ts --spec '{"url","headers","body"}' [--count 1000] [--open-timeout-ms 20000]
 */
import { drain, numberFlag, parseSpec, send } from "./request-spec.ts";

export interface OpenStreamsOpened {
  event: "open";
  /** Streams whose first chunk reached this client. */
  open: number;
  /** Milliseconds from the first dispatch until all were open (or the timeout). */
  ms: number;
}

export interface OpenStreamsDone {
  event: "done";
  /** Answered 200 and read to the end. */
  ok: number;
  failed: number;
  statuses: Record<string, number>;
}

const argv = process.argv.slice(2);
const spec = parseSpec(argv);
const count = numberFlag(argv, "count", 1000);
const openTimeoutMs = numberFlag(argv, "open-timeout-ms", 20_000);
const doneTimeoutMs = numberFlag(argv, "done-timeout-ms", 120_000);

let open = 0;
let ok = 0;
const statuses: Record<string, number> = {};
let allOpen: () => void = () => {};
const allOpened = new Promise<void>((resolve) => {
  allOpen = resolve;
});

/** Streams that will never open (refused or broken); the wait for the rest ends with them. */
let neverOpen = 0;
function settle(): void {
  if (open + neverOpen === count) allOpen();
}

async function one(): Promise<void> {
  let opened = false;
  try {
    const response = await send(spec);
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    await drain(response, () => {
      if (response.status !== 200) return;
      opened = true;
      open++;
      settle();
    });
    if (response.status === 200 && opened) ok++;
  } catch {
    statuses.error = (statuses.error ?? 0) + 1;
  }
  if (!opened) {
    neverOpen++;
    settle();
  }
}

const start = performance.now();
const streams = Array.from({ length: count }, one);
await Promise.race([allOpened, Bun.sleep(openTimeoutMs)]);
const opened: OpenStreamsOpened = { event: "open", open, ms: Math.round(performance.now() - start) };
process.stdout.write(`${JSON.stringify(opened)}\n`);

await Promise.race([Promise.all(streams), Bun.sleep(doneTimeoutMs)]);
const done: OpenStreamsDone = { event: "done", ok, failed: count - ok, statuses };
process.stdout.write(`${JSON.stringify(done)}\n`);
process.exit(0);
