import { existsSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Which disk a block device belongs to, from sysfs: a partition's parent disk, and
 * for a loop device its backing file (two loop views of one image are one disk).
 * The disks of the running system are those holding the mounts of /, /boot, /data
 * and /run/rootfs-base (under the root prefix), read from /proc/self/mountinfo.
 */
export function diskOf(devPath: string, sys = "/sys"): string | undefined {
  let st;
  try {
    st = statSync(devPath);
  } catch {
    return undefined;
  }
  if (!st.isBlockDevice()) return undefined;
  // glibc's dev_t layout: 12 bits of major above the low minor byte, more minor bits above.
  const rdev = st.rdev;
  return diskOfDevNumber((rdev >>> 8) & 0xfff, (rdev & 0xff) | ((rdev >>> 12) & 0xfff00), sys);
}

function diskOfDevNumber(mj: number, mn: number, sys: string): string | undefined {
  const node = join(sys, "dev", "block", `${mj}:${mn}`);
  let real: string;
  try {
    real = realpathSync(node);
  } catch {
    return `dev:${mj}:${mn}`;
  }
  const disk = existsSync(join(real, "partition")) ? dirname(real) : real;
  const backing = join(disk, "loop", "backing_file");
  if (existsSync(backing)) {
    try {
      return `loop-file:${readFileSync(backing, "utf8").trim()}`;
    } catch {
      /* fall through to the disk name */
    }
  }
  return `disk:${basename(disk)}`;
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function systemDisks(prefix: string, mountinfo = "/proc/self/mountinfo", sys = "/sys"): Set<string> {
  const points = new Set(["/", "/boot", "/data", "/run/rootfs-base"].map((p) => (prefix ? (p === "/" ? prefix : prefix + p) : p)));
  const disks = new Set<string>();
  let text = "";
  try {
    text = readFileSync(mountinfo, "utf8");
  } catch {
    return disks;
  }
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 5) continue;
    const mountPoint = unescapeMountinfo(f[4]!);
    if (!points.has(mountPoint)) continue;
    const [mj, mn] = (f[2] ?? "").split(":").map(Number);
    if (mj === undefined || mn === undefined || mj === 0) {
      // Overlay and tmpfs have no block device; the mount source may still name one.
      const sep = f.indexOf("-");
      const source = sep > 0 ? f[sep + 2] : undefined;
      if (source?.startsWith("/dev/")) {
        const d = diskOf(source, sys);
        if (d) disks.add(d);
      }
      continue;
    }
    const d = diskOfDevNumber(mj, mn, sys);
    if (d) disks.add(d);
  }
  return disks;
}

export function linkTarget(link: string): string | undefined {
  try {
    readlinkSync(link);
    return realpathSync(link);
  } catch {
    return undefined;
  }
}
