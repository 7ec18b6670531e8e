import { closeSync, fchmodSync, fchownSync, fsyncSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/**
 * File-system steps of an import. Every mutating step goes through `step()`, which
 * counts it and, when ATOMICNIX_PROVISION_CRASH_AT names that count, kills the
 * process with SIGKILL right before the step: the crash test and
 * `--list-crash-points` rely on these being all the places a crash can land.
 */
export class Steps {
  private count = 0;
  readonly names: string[] = [];
  private readonly crashAt: number | undefined;
  private readonly failAt: number | undefined;

  /** `failAt` (ATOMICNIX_PROVISION_FAIL_AT) makes that step throw EIO instead, as a full or failing disk would. */
  constructor(crashAt: string | undefined = process.env.ATOMICNIX_PROVISION_CRASH_AT, failAt: string | undefined = process.env.ATOMICNIX_PROVISION_FAIL_AT) {
    this.crashAt = positive(crashAt);
    this.failAt = positive(failAt);
  }

  step(name: string): void {
    this.count++;
    this.names.push(name);
    if (this.count === this.failAt) throw Object.assign(new Error(`EIO: i/o error (injected) at ${name}`), { code: "EIO", step: name });
    if (this.count === this.crashAt) {
      process.kill(process.pid, "SIGKILL");
      // Delivery to oneself is immediate on Linux; never run the step if it were not.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
    }
  }
}

function positive(text: string | undefined): number | undefined {
  const n = text === undefined || text === "" ? NaN : Number(text);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * mkdir -p one level at a time. Node's recursive mkdirSync never returns for a path
 * under /proc (`--root /proc/x` spun at 100% CPU); this one fails with the real error.
 */
export function makeDirs(path: string, mode: number): void {
  try {
    if (statSync(path).isDirectory()) return;
    throw Object.assign(new Error(`${path} exists and is not a directory`), { code: "ENOTDIR" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const parent = dirname(path);
  if (parent !== path) makeDirs(parent, mode);
  mkdirSync(path, { mode });
}

const ROOT = typeof process.getuid === "function" && process.getuid() === 0;

/** Writes a new file (never an existing one), sets owner root and the mode exactly, fsyncs it. */
export function writeNewFile(path: string, data: Uint8Array, mode: number): void {
  const fd = openSync(path, "wx", mode);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fchmodSync(fd, mode);
    if (ROOT) fchownSync(fd, 0, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export { fsyncPath } from "../../lib/atomic-write.js";
