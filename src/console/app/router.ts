// Client-side routes under /console; the page and its query are the whole view state (shareable).
import { useEffect, useState } from "preact/hooks";

export const BASE = "/console";

export interface Location {
  path: string;
  params: URLSearchParams;
}

const listeners = new Set<() => void>();

function current(): Location {
  const path = window.location.pathname.replace(/\/+$/, "") || BASE;
  return {
    path: path.startsWith(BASE) ? path.slice(BASE.length) || "/" : "/",
    params: new URLSearchParams(window.location.search),
  };
}

window.addEventListener("popstate", () => {
  for (const listener of listeners) listener();
});

/** Goes to a console URL (`/sessions?x=1`, relative to /console) without reloading. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = to.startsWith(BASE) ? to : `${BASE}${to === "/" ? "" : to}`;
  if (url === window.location.pathname + window.location.search) return;
  if (options.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  for (const listener of listeners) listener();
}

/** The path for a link: `/console/…` plus a query without empty parts. */
export function href(path: string, params?: URLSearchParams): string {
  const query = params?.toString();
  return `${BASE}${path === "/" ? "" : path}${query ? `?${query}` : ""}`;
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return location;
}

/** A plain click on an in-console link navigates in place; modified clicks open as usual. */
export function onLinkClick(event: MouseEvent): void {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  )
    return;
  const anchor = (event.target as Element | null)?.closest("a");
  const target = anchor?.getAttribute("href");
  if (!anchor || !target?.startsWith(BASE) || anchor.target || anchor.hasAttribute("download")) return;
  event.preventDefault();
  navigate(target);
}
