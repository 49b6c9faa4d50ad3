import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

import { type Me, signOut } from "../auth";
import { href, onLinkClick } from "../router";

const NAV = [
  { path: "/", label: "Sessions", match: (p: string) => p === "/" || p.startsWith("/sessions") },
  { path: "/requests", label: "Requests", match: (p: string) => p === "/requests" },
  { path: "/spend", label: "Spend", match: (p: string) => p === "/spend" },
  { path: "/users", label: "Users and keys", match: (p: string) => p === "/users" },
];

export function Layout({
  me,
  path,
  title,
  children,
}: {
  me: Me;
  path: string;
  title: string;
  children: ComponentChildren;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · aibridge console`;
  }, [title]);
  // After an in-page navigation, focus moves to the new page's heading (screen readers, keyboard).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else heading.current?.focus();
  }, [path]);

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: delegates clicks on the links inside
    // biome-ignore lint/a11y/useKeyWithClickEvents: links already answer Enter with a click
    <div class="shell" onClick={onLinkClick}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={href("/")}>
          aibridge
        </a>
        <nav aria-label="Console">
          <ul>
            {NAV.map((item) => (
              <li key={item.path}>
                <a href={href(item.path)} aria-current={item.match(path) ? "page" : undefined}>
                  {item.path === "/users" && me.role !== "owner" ? "API keys" : item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="whoami">
          <span title={`Signed in as ${me.username} (${me.role})`}>
            {me.username} <span class="role">{me.role}</span>
          </span>
          <button type="button" onClick={() => signOut("You signed out.")}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {children}
      </main>
    </div>
  );
}
