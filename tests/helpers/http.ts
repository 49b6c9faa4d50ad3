/** JSON request helper for the management API. */
export async function api(
  base: string,
  path: string,
  options: {
    method?: string;
    key?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers["coder-session-token"] = options.key;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${base}${path}`, { method: options.method ?? "GET", headers, body });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  // biome-ignore lint/suspicious/noExplicitAny: test convenience
  return { status: response.status, headers: response.headers, json: json as any };
}

/** Creates a user through the API (as an owner) and one API key for it. */
export async function createUserWithKey(base: string, ownerKey: string, username: string, role: string) {
  const created = await api(base, "/api/v2/users", {
    method: "POST",
    key: ownerKey,
    body: { username, role },
  });
  if (created.status !== 201)
    throw new Error(`creating ${username}: ${created.status} ${JSON.stringify(created.json)}`);
  const key = await api(base, `/api/v2/users/${username}/keys`, { method: "POST", key: ownerKey, body: {} });
  if (key.status !== 201) throw new Error(`key for ${username}: ${key.status} ${JSON.stringify(key.json)}`);
  return { id: created.json.id as string, key: key.json.key as string };
}
