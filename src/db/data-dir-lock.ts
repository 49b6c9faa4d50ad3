import { dlopen, FFIType, read } from "bun:ffi";
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";

export class DataDirInUseError extends Error {}

const LOCK_EX = 2;
const LOCK_NB = 4;
// EWOULDBLOCK: Linux, macOS.
const WOULD_BLOCK = new Set([11, 35]);

const LIBC_NAMES =
  process.platform === "darwin"
    ? ["libSystem.B.dylib"]
    : ["libc.so.6", `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`, "libc.so"];

interface Libc {
  flock(fd: number, operation: number): number;
  errno(): number;
}

let libc: Libc | null = null;

/** libc's flock(2) through Bun's FFI (neither Bun nor node:fs exposes it). */
function loadLibc(): Libc {
  if (libc) return libc;
  const errnoSymbol = process.platform === "darwin" ? "__error" : "__errno_location";
  for (const name of LIBC_NAMES) {
    try {
      const { symbols } = dlopen(name, {
        flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
        [errnoSymbol]: { args: [], returns: FFIType.ptr },
      });
      const errnoAt = symbols[errnoSymbol] as () => number;
      libc = {
        flock: (fd, operation) => symbols.flock(fd, operation) as number,
        errno: () => read.i32(errnoAt() as never, 0),
      };
      return libc;
    } catch {}
  }
  throw new Error(`cannot load the C library to lock the data dir (tried ${LIBC_NAMES.join(", ")})`);
}

/**
 * Locks the embedded database directory for this process's lifetime (SPEC §13) with a kernel file
 * lock (flock) on `aibridge.lock`: the kernel releases it when the process ends, however it ends,
 * so a dead owner never blocks a restart — also when the new process gets the old one's PID, as a
 * container's PID 1 does. A live owner refuses the lock with DataDirInUseError. The file is never
 * deleted: a process waiting on the old file and one creating a new one would both "hold" it.
 */
export function lockDataDir(dir: string): { release(): void } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "aibridge.lock");
  const { flock, errno } = loadLibc();
  const fd = openSync(path, "a+", 0o600);
  if (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    const code = errno();
    closeSync(fd);
    if (!WOULD_BLOCK.has(code)) throw new Error(`cannot lock data dir ${dir} (errno ${code})`);
    const owner = readFileSync(path, "utf8").trim();
    throw new DataDirInUseError(
      `data dir ${dir} is in use by another aibridge process${owner ? ` (pid ${owner})` : ""}; stop it or use another --data-dir`,
    );
  }
  // For the operator only: the lock is the kernel's, not this number.
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      closeSync(fd);
    },
  };
}
