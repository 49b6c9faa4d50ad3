import { useCallback, useEffect, useState } from "preact/hooks";

import { getJson } from "./api";

export type Loadable<T> =
  | { state: "loading"; data?: T }
  | { state: "ready"; data: T }
  | { state: "error"; error: unknown };

/**
 * GETs `path` (null = nothing to load) and reloads when it changes; a newer load cancels the older one,
 * so the rows on screen always belong to the filters in the URL.
 */
export function useApi<T>(path: string | null): [Loadable<T>, () => void] {
  const [result, setResult] = useState<Loadable<T>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setResult((previous) => ({
      state: "loading",
      data: previous.state === "ready" ? previous.data : undefined,
    }));
    getJson<T>(path, controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setResult({ state: "ready", data });
      },
      (error) => {
        if (!controller.signal.aborted) setResult({ state: "error", error });
      },
    );
    return () => controller.abort();
  }, [path, attempt]);
  return [result, reload];
}
