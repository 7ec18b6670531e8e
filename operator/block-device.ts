import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * What the kernel says about a flash target (sysfs and mountinfo, no external tools):
 * which disk it is, whether it or one of its partitions is mounted or swapped on,
 * whether it holds the running system, and whether the kernel calls it removable.
 */
export interface BlockTarget {
  path: string;
  /** MAJ:MIN of the node given */
  dev: string;
  disk: string;
  isPartition: boolean;
  removable: boolean;
  sizeBytes: number;
  /** mount points (and swap) on the disk or any of its partitions */
  inUse: string[];
  /** system mount points (/, /usr, /boot, /var) that live on this disk */
  system: string[];
}

const SYSTEM_MOUNTS = new Set(["/", "/usr", "/boot", "/var", "/etc"]);

function devOf(rdev: number): string {
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | ((Math.floor(rdev / 4096) & ~0xff) >>> 0);
  return `${major}:${minor}`;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** The whole disk a MAJ:MIN belongs to (itself when it is a disk), from /sys/dev/block. */
function diskOfDev(dev: string): string | undefined {
  const link = `/sys/dev/block/${dev}`;
  if (!existsSync(link)) return undefined;
  const real = realpathSync(link);
  return existsSync(join(real, "partition")) ? basename(dirname(real)) : basename(real);
}

/** MAJ:MIN of the disk and of each of its partitions. */
function devsOfDisk(disk: string): Set<string> {
  const out = new Set<string>();
  const base = `/sys/block/${disk}`;
  const own = read(join(base, "dev"));
  if (own) out.add(own);
  for (const n of readdirSync(base)) {
    if (existsSync(join(base, n, "partition"))) {
      const d = read(join(base, n, "dev"));
      if (d) out.add(d);
    }
  }
  return out;
}

interface Mount {
  dev: string;
  mountPoint: string;
  source: string;
}

function mounts(): Mount[] {
  return (read("/proc/self/mountinfo") ?? "").split("\n").filter(Boolean).map((line) => {
    const f = line.split(" ");
    const dash = f.indexOf("-");
    return { dev: f[2]!, mountPoint: f[4]!.replace(/\\040/g, " "), source: f[dash + 2] ?? "" };
  });
}

export function inspectTarget(path: string): BlockTarget {
  const real = realpathSync(path);
  const st = statSync(real);
  if (!st.isBlockDevice()) throw new Error(`${path} is not a block device`);
  const dev = devOf(st.rdev);
  const disk = diskOfDev(dev);
  if (!disk) throw new Error(`${path} (${dev}) is not known to /sys/dev/block`);
  const isPartition = existsSync(`/sys/dev/block/${dev}/partition`);
  const devs = devsOfDisk(disk);
  const inUse: string[] = [];
  const system: string[] = [];
  for (const m of mounts()) {
    const onDisk = devs.has(m.dev) || (m.source.startsWith("/dev/") && existsSync(m.source) && safeDisk(m.source) === disk);
    if (!onDisk) continue;
    inUse.push(m.mountPoint);
    if (SYSTEM_MOUNTS.has(m.mountPoint)) system.push(m.mountPoint);
  }
  for (const line of (read("/proc/swaps") ?? "").split("\n").slice(1)) {
    const src = line.split(/\s+/)[0];
    if (src && src.startsWith("/dev/") && safeDisk(src) === disk) inUse.push(`swap ${src}`);
  }
  return {
    path: real,
    dev,
    disk,
    isPartition,
    removable: read(`/sys/block/${disk}/removable`) === "1",
    sizeBytes: Number(read(`/sys/block/${disk}/${isPartition ? `${basename(real)}/` : ""}size`) ?? "0") * 512,
    inUse,
    system,
  };
}

function safeDisk(node: string): string | undefined {
  try {
    const st = statSync(node);
    return st.isBlockDevice() ? diskOfDev(devOf(st.rdev)) : undefined;
  } catch {
    return undefined;
  }
}
