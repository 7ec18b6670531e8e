import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { validateConfigText } from "./config.js";
import { describe } from "./issues.js";
import { decodeUtf8 } from "./input-kind.js";
import { LIMITS } from "./limits.js";
import { diskOf, linkTarget, systemDisks } from "./system-disk.js";

/**
 * Provisioning sources in the order of prov.sources and prov.media-scan. Every path is
 * taken under `prefix` ("" on a device), so the order can be exercised over real
 * directories; mounting uses the real mount(8).
 */
export interface SourceOptions {
  prefix: string;
  log: (line: string) => void;
  /** file system type media are mounted as (vfat on a device) */
  mediaFsType?: string;
}

export type Source =
  | { kind: "sentinel" }
  | { kind: "stored" }
  | { kind: "input"; origin: string; bytes: Uint8Array; filename: string };

const SEED_NAMES = ["config.toml", "config.tar.gz", "config.tgz", "config.tar.zst", "config.tar.zstd", "config.tzst"] as const;

export const paths = (prefix: string) => ({
  sentinel: `${prefix}/data/.completed_first_boot`,
  configRoot: `${prefix}/data/config`,
  stored: `${prefix}/data/config/config.toml`,
  freshFlash: `${prefix}/run/atomicnix/fresh-flash`,
  bootSeed: `${prefix}/boot/config.toml`,
  byLabel: `${prefix}/dev/disk/by-label`,
  byPartlabel: `${prefix}/dev/disk/by-partlabel`,
});

function isFile(p: string): boolean {
  try {
    return lstatSync(p).isFile();
  } catch {
    return false;
  }
}

function readBounded(p: string): Uint8Array | undefined {
  try {
    const size = lstatSync(p).size;
    if (size > LIMITS.compressed) return undefined;
    return readFileSync(p);
  } catch {
    return undefined;
  }
}

/** True when the stored config.toml exists and passes validation (logged otherwise). */
function storedIsValid(file: string, log: (l: string) => void): boolean {
  if (!existsSync(file)) return false;
  const bytes = readBounded(file);
  const text = bytes ? decodeUtf8(bytes, file) : undefined;
  if (!text || !text.ok) {
    log(`${file}: skipped: ${text && !text.ok ? text.error.message : "unreadable"}`);
    return false;
  }
  const r = validateConfigText(text.text);
  if (!r.ok) {
    log(`${file}: skipped, invalid: ${r.errors.map(describe).join("; ")}`);
    return false;
  }
  return true;
}

/** The sentinel, then a valid stored configuration: both mean "no import". */
export function existingState(o: SourceOptions): Source | undefined {
  const p = paths(o.prefix);
  if (existsSync(p.sentinel)) return { kind: "sentinel" };
  if (storedIsValid(p.stored, o.log)) return { kind: "stored" };
  return undefined;
}

/** /boot/config.toml, only on a fresh flash (the initrd's marker); never replayed later. */
export function bootSeed(o: SourceOptions): (Source & { kind: "input" }) | undefined {
  const p = paths(o.prefix);
  if (!existsSync(p.freshFlash)) {
    if (existsSync(p.bootSeed)) o.log(`${p.bootSeed}: ignored, this boot is not a fresh flash`);
    return undefined;
  }
  if (!isFile(p.bootSeed)) return undefined;
  const bytes = readBounded(p.bootSeed);
  return bytes ? { kind: "input", origin: "/boot/config.toml", bytes, filename: "config.toml" } : undefined;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

interface MediaCandidate {
  link: string;
  device: string;
}

/** by-label, then by-partlabel, each in byte order, each device once. */
function mediaCandidates(o: SourceOptions): MediaCandidate[] {
  const p = paths(o.prefix);
  const out: MediaCandidate[] = [];
  const seen = new Set<string>();
  for (const dir of [p.byLabel, p.byPartlabel]) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort(byteOrder);
    } catch {
      continue;
    }
    for (const name of names) {
      const link = join(dir, name);
      const device = linkTarget(link);
      if (!device || seen.has(device)) continue;
      seen.add(device);
      out.push({ link, device });
    }
  }
  return out;
}

/**
 * Mounts each candidate read-only (nodev, nosuid, noexec) and yields the first seed
 * file found at its top level, in SEED_NAMES order. Partitions of the system disk are
 * skipped before any mount, whatever their label.
 */
export function* scanMedia(o: SourceOptions): Generator<Source & { kind: "input" }> {
  const own = systemDisks(o.prefix);
  const fsType = o.mediaFsType ?? "vfat";
  for (const c of mediaCandidates(o)) {
    const disk = diskOf(c.device);
    if (!disk) {
      o.log(`${c.link} -> ${c.device}: skipped, not a block device`);
      continue;
    }
    if (own.has(disk)) {
      o.log(`${c.link} -> ${c.device}: skipped, partition of the system disk`);
      continue;
    }
    const mnt = mkdtempSync(join(existsSync(`${o.prefix}/run`) ? `${o.prefix}/run` : "/tmp", "atomicnix-seed-"));
    try {
      try {
        execFileSync("mount", ["-t", fsType, "-o", "ro,nodev,nosuid,noexec", c.device, mnt], { stdio: ["ignore", "ignore", "pipe"] });
      } catch (e) {
        const why = String((e as { stderr?: Buffer }).stderr ?? "").trim().split("\n")[0] || (e as Error).message;
        o.log(`${c.link} -> ${c.device}: skipped, cannot mount read-only as ${fsType}: ${why}`);
        continue;
      }
      let found: (Source & { kind: "input" }) | undefined;
      try {
        for (const name of SEED_NAMES) {
          const f = join(mnt, name);
          if (!isFile(f)) continue;
          const bytes = readBounded(f);
          if (bytes) {
            found = { kind: "input", origin: `${c.link}:${name}`, bytes, filename: name };
            break;
          }
        }
      } finally {
        execFileSync("umount", [mnt], { stdio: "ignore" });
      }
      if (found) yield found;
      else o.log(`${c.link} -> ${c.device}: skipped, no top-level ${SEED_NAMES.join(", ")}`);
    } finally {
      rmdirSync(mnt);
    }
  }
}
