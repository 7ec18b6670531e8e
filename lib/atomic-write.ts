import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";

/** fsync a file or directory by path (a directory's fsync makes renames in it durable). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a file so that readers see either the old or the new content, never a torn
 * one: temp file in the same directory, fsync, rename over the target, fsync the dir.
 * `durable = false` skips both fsyncs, for data that can be recomputed (caches whose
 * readers check what they read): readers still never see a half-written file.
 * `makeDir = false` is for callers that already made sure the folder exists.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644, durable = true, makeDir = true): void {
  const dir = dirname(path);
  if (makeDir) mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  if (!durable && typeof data === "string") {
    // Node writes a string in one native call (no Buffer copy in JS): a multi-MB cache entry costs half.
    try {
      writeFileSync(tmp, data, { mode });
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    renameSync(tmp, path);
    return;
  }
  const fd = openSync(tmp, "w", mode);
  try {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if (durable) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  if (durable) fsyncPath(dir);
}
