import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/**
 * One import at a time per state directory: an in-process queue (the console and
 * first-boot may share a process) plus a pid lock file against other processes. A
 * lock whose process is gone (killed mid-import) is taken over.
 */
const queues = new Map<string, Promise<unknown>>();
const LOCK = ".import.lock";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function acquireFileLock(root: string, timeoutMs: number): Promise<() => void> {
  const path = join(root, LOCK);
  const started = Date.now();
  let takeovers = 0;
  for (;;) {
    try {
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number(readFileSafe(path).trim());
      if (!Number.isInteger(holder) || holder <= 0 || !alive(holder) || holder === process.pid) {
        // A lock that cannot be removed (a file system like /proc) would make this loop spin forever.
        if (++takeovers > 3) throw Object.assign(new Error(`cannot take over the stale lock ${path}: it does not go away when removed (is ${root} a real state directory?)`), { code: "ELOCK" });
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() - started > timeoutMs) throw new Error(`another import (pid ${holder}) holds ${path}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

export async function withImportLock<T>(root: string, fn: () => Promise<T> | T, timeoutMs = 120_000): Promise<T> {
  const prev = queues.get(root) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(async () => {
    const release = await acquireFileLock(root, timeoutMs);
    try {
      return await fn();
    } finally {
      release();
    }
  });
  queues.set(root, run);
  try {
    return await run;
  } finally {
    if (queues.get(root) === run) queues.delete(root);
  }
}
