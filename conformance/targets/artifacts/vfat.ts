import { mustRun } from "./exec.js";

/** mtools addresses a filesystem inside a bigger file as FILE@@OFFSET. */
function target(image: string, offsetBytes: number): string {
  return offsetBytes ? `${image}@@${offsetBytes}` : image;
}

const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: "1" };

/**
 * Paths of every regular file of a vfat filesystem (an image file, or a partition
 * at a byte offset of a disk image), listed recursively by mtools (`mdir -/ -b`).
 */
export function listVfatFiles(image: string, offsetBytes = 0): string[] {
  const out = mustRun("mdir", ["-/", "-b", "-i", target(image, offsetBytes), "::"], { env: MTOOLS_ENV }).toString("utf8");
  // `mdir -b` prints one "::/path" per entry; directories end in "/"
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("::/") && !l.endsWith("/"))
    .map((l) => l.slice(3))
    .sort();
}

/** Contents of one file of a vfat filesystem, read with mtools `mcopy ... -`. */
export function readVfatFile(image: string, path: string, offsetBytes = 0): Buffer {
  return mustRun("mcopy", ["-n", "-i", target(image, offsetBytes), `::${path}`, "-"], { env: MTOOLS_ENV });
}
