import { useCallback, useMemo } from "preact/hooks";

import { DEFAULT_FILTERS, type Filters, filtersToParams, parseFilters } from "./filters";
import { href, navigate, useLocation } from "./router";

/**
 * The page's filters, read from and written to the URL (reload and shared links keep the view), and
 * the instant a relative time range ("last 24 hours") is counted back from: fixed while the URL stays.
 */
export function useFilters(
  defaults: Partial<Filters> = {},
): [Filters, (next: Partial<Filters>) => void, number] {
  const { path, params } = useLocation();
  const base = { ...DEFAULT_FILTERS, ...defaults };
  const filters = parseFilters(params, base);
  const key = params.toString();
  const update = useCallback(
    (next: Partial<Filters>) => {
      const merged = { ...parseFilters(new URLSearchParams(key), base), ...next };
      navigate(href(path, filtersToParams(merged, base)));
    },
    [path, key],
  );
  // A new URL is a new "now".
  const now = useMemo(() => Date.now(), [key]);
  return [filters, update, now];
}
