// Bun reads this only at process start; its default of 256 would queue a gateway's 257th stream.
const FETCH_LIMIT_ENV = "BUN_CONFIG_MAX_HTTP_REQUESTS";
const FETCH_LIMIT = "65535";

/** Re-executes this process in place with the fetch concurrency limit lifted, unless already set. */
export function liftFetchLimit(): void {
  if (process.env[FETCH_LIMIT_ENV]) return;
  const execve = (
    process as { execve?: (file: string, args: string[], env: Record<string, string | undefined>) => never }
  ).execve;
  if (typeof execve !== "function") return;
  // A compiled executable's argv[1] is its embedded entry point, which it adds again by itself.
  const compiled = Bun.main.startsWith("/$bunfs/");
  const args = compiled ? process.argv.slice(2) : process.argv.slice(1);
  execve(process.execPath, [process.execPath, ...args], { ...process.env, [FETCH_LIMIT_ENV]: FETCH_LIMIT });
}
