/**
 * CPU time from the kernel's own accounting (/proc/<pid>/stat: utime + stime, every thread of the
 * process), so that a phase's CPU per request is measured per process rather than guessed from
 * wall-clock rates on a shared machine.
 */
import { readFileSync } from "node:fs";

import postgres from "postgres";

/** Clock ticks per second of /proc's utime/stime (USER_HZ: 100 on every Linux the bench runs on). */
const TICKS_PER_S = 100;

/** CPU microseconds used so far by a live process; 0 when it is gone. */
export function processCpuUs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return 0;
  }
  // Fields after the parenthesised command name (which may contain spaces): state is field 3,
  // utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / TICKS_PER_S) * 1e6;
}

/** A set of processes whose CPU is summed; the set may be looked up again at the end of a phase. */
export interface CpuGroup {
  pids(): Promise<number[]>;
}

export const fixedPids = (...pids: number[]): CpuGroup => ({ pids: async () => pids });

/**
 * The PostgreSQL processes serving one database: its backends. The server-wide writers (WAL writer,
 * background writer, checkpointer) are left out: on a shared server they mostly work for others.
 */
export function postgresProcesses(adminUrl: string, database: string): CpuGroup {
  return {
    async pids() {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        const rows = await sql<{ pid: number }[]>`
          SELECT pid FROM pg_stat_activity
          WHERE datname = ${database} AND pid <> pg_backend_pid()`;
        return rows.map((r) => r.pid);
      } finally {
        await sql.end();
      }
    },
  };
}

export interface CpuSnapshot {
  byPid: Map<number, number>;
}

export async function snapshot(group: CpuGroup): Promise<CpuSnapshot> {
  const byPid = new Map<number, number>();
  for (const pid of await group.pids()) byPid.set(pid, processCpuUs(pid));
  return { byPid };
}

/**
 * CPU microseconds the group used since `before`: processes present at both ends count their
 * difference, processes that appeared since count from zero (their whole life is in the phase).
 */
export async function cpuSince(group: CpuGroup, before: CpuSnapshot): Promise<number> {
  let total = 0;
  for (const pid of await group.pids()) total += processCpuUs(pid) - (before.byPid.get(pid) ?? 0);
  return total;
}
