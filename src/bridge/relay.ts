export type RelayOutcome = { kind: "complete" } | { kind: "cancelled" } | { kind: "error"; error: unknown };

export interface RelayHooks {
  /** Sees every chunk before the client does; must not keep a reference to it. */
  onChunk?(chunk: Uint8Array): void;
  /** Called exactly once, when the body ended, the client went away or the upstream failed. */
  onEnd(outcome: RelayOutcome): void;
}

/**
 * Passes upstream bytes to the client as they arrive, unchanged, while a parsed copy is taken
 * (ARCHITECTURE: stream in, stream out). Pull-based, so nothing is buffered ahead of the client.
 */
export function relayBody(
  upstream: ReadableStream<Uint8Array>,
  hooks: RelayHooks,
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  let ended = false;
  const end = (outcome: RelayOutcome) => {
    if (ended) return;
    ended = true;
    hooks.onEnd(outcome);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          end({ kind: "error", error });
          controller.error(error);
          return;
        }
        if (result.done) {
          end({ kind: "complete" });
          controller.close();
          return;
        }
        try {
          hooks.onChunk?.(result.value);
        } catch {
          // A parsing problem must never break the client's stream.
        }
        controller.enqueue(result.value);
      },
      cancel(reason) {
        end({ kind: "cancelled" });
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
