import { statSync } from "node:fs";
import { mustRun } from "./exec.js";

export interface SquashfsParameters {
  compression: string;
  /** zstd level stored in the superblock options; null when the default was used */
  compressionLevel: number | null;
  blockSize: number;
  /** an xattr table is stored */
  xattrs: boolean;
  /** bytes used by the filesystem (superblock) */
  bytesUsed: number;
  /** size of the image file (padded to 4 KiB) */
  fileBytes: number;
  /** does the file fit a limit, e.g. the 1 GiB rootfs slot */
  fitsLimit(limitBytes: number): boolean;
}

/** Superblock parameters of a squashfs image, from `unsquashfs -s` (squashfs-tools). */
export function inspectSquashfs(image: string): SquashfsParameters {
  const text = mustRun("unsquashfs", ["-s", image]).toString("utf8");
  const field = (re: RegExp, what: string): string => {
    const m = re.exec(text);
    if (!m?.[1]) throw new Error(`unsquashfs -s ${image}: no ${what} in output:\n${text}`);
    return m[1];
  };
  const level = /compression-level (\d+)/.exec(text)?.[1];
  const fileBytes = statSync(image).size;
  return {
    compression: field(/^Compression (\S+)/m, "compression"),
    compressionLevel: level === undefined ? null : Number(level),
    blockSize: Number(field(/^Block size (\d+)/m, "block size")),
    xattrs: !/^Xattrs are not stored/m.test(text),
    bytesUsed: Number(/^Filesystem size (\d+) bytes/m.exec(text)?.[1] ?? fileBytes),
    fileBytes,
    fitsLimit: (limit) => fileBytes <= limit,
  };
}

export interface SquashfsEntry {
  mode: string;
  uid: number;
  gid: number;
  /** path inside the image, "/" for the root */
  path: string;
}

/** Every entry with numeric owner, from `unsquashfs -lln`. */
export function listSquashfs(image: string): SquashfsEntry[] {
  const text = mustRun("unsquashfs", ["-lln", "-d", "", image]).toString("utf8");
  const entries: SquashfsEntry[] = [];
  for (const line of text.split("\n")) {
    // size is "N" or "major, minor" for devices; the date and time end the fixed part
    const m = /^(\S{10})\s+(\d+)\/(\d+)\s+.*?\d{4}-\d\d-\d\d \d\d:\d\d ?(.*)$/.exec(line);
    if (!m) continue;
    const path = m[4]!.replace(/ -> .*$/, "");
    entries.push({ mode: m[1]!, uid: Number(m[2]), gid: Number(m[3]), path: path === "" ? "/" : path });
  }
  if (entries.length === 0) throw new Error(`unsquashfs -lln ${image}: no entries listed:\n${text}`);
  return entries;
}

/** Contents of one file inside a squashfs image (`unsquashfs -cat`). */
export function readSquashfsFile(image: string, path: string): Buffer {
  return mustRun("unsquashfs", ["-no-progress", "-cat", image, path.replace(/^\/+/, "")]);
}

/** Unpacks a squashfs image into a directory that must not exist yet. */
export function extractSquashfs(image: string, dir: string): void {
  mustRun("unsquashfs", ["-no-progress", "-quiet", "-no-xattrs", "-d", dir, image]);
}
