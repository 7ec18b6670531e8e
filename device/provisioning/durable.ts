import { closeSync, fchmodSync, fchownSync, fsyncSync, openSync, writeSync } from "node:fs";

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

export { fsyncPath } from "../../compiler/fs/atomic-write.js";
