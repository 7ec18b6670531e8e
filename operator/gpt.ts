import { closeSync, openSync, readSync } from "node:fs";

/**
 * The partition layout of a disk image, read from its GPT (or MBR when there is no
 * GPT), so `atomicnix flash` can say what it wrote: the raw region before the first
 * partition (U-Boot on a Rock64 image) and each partition by name, offset and size.
 */
interface Partition {
  index: number;
  name: string;
  startBytes: number;
  sizeBytes: number;
  typeGuid?: string;
}

export interface Layout {
  scheme: "gpt" | "mbr" | "none";
  partitions: Partition[];
  /** bytes before the first partition */
  rawRegionBytes: number;
}

const SECTOR = 512;

function read(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const n = readSync(fd, b, 0, length, offset);
  return b.subarray(0, n);
}

function guid(b: Buffer): string {
  const h = b.toString("hex");
  const le = (s: string) => s.match(/../g)!.reverse().join("");
  return `${le(h.slice(0, 8))}-${le(h.slice(8, 12))}-${le(h.slice(12, 16))}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function readLayout(path: string): Layout {
  const fd = openSync(path, "r");
  try {
    const header = read(fd, SECTOR, 92);
    if (header.length === 92 && header.subarray(0, 8).toString("latin1") === "EFI PART") {
      const entriesLba = Number(header.readBigUInt64LE(72));
      const count = Math.min(header.readUInt32LE(80), 256);
      const size = header.readUInt32LE(84);
      const table = read(fd, entriesLba * SECTOR, count * size);
      const partitions: Partition[] = [];
      for (let i = 0; i < count; i++) {
        const e = table.subarray(i * size, (i + 1) * size);
        if (e.length < 128 || e.subarray(0, 16).every((x) => x === 0)) continue;
        const first = Number(e.readBigUInt64LE(32));
        const last = Number(e.readBigUInt64LE(40));
        const name = e.subarray(56, 128).toString("utf16le").replace(/\0.*$/s, "");
        partitions.push({ index: i + 1, name, startBytes: first * SECTOR, sizeBytes: (last - first + 1) * SECTOR, typeGuid: guid(e.subarray(0, 16)) });
      }
      return { scheme: "gpt", partitions, rawRegionBytes: partitions.length ? Math.min(...partitions.map((p) => p.startBytes)) : 0 };
    }
    const mbr = read(fd, 0, SECTOR);
    if (mbr.length === SECTOR && mbr[510] === 0x55 && mbr[511] === 0xaa) {
      const partitions: Partition[] = [];
      for (let i = 0; i < 4; i++) {
        const e = mbr.subarray(446 + i * 16, 462 + i * 16);
        const start = e.readUInt32LE(8);
        const sectors = e.readUInt32LE(12);
        if (e[4] === 0 || sectors === 0) continue;
        partitions.push({ index: i + 1, name: `type 0x${e[4]!.toString(16).padStart(2, "0")}`, startBytes: start * SECTOR, sizeBytes: sectors * SECTOR });
      }
      if (partitions.length) return { scheme: "mbr", partitions, rawRegionBytes: Math.min(...partitions.map((p) => p.startBytes)) };
    }
    return { scheme: "none", partitions: [], rawRegionBytes: 0 };
  } finally {
    closeSync(fd);
  }
}

export function mib(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** One line per region, for the flash report. */
export function describeLayout(l: Layout): string[] {
  if (l.scheme === "none") return ["no partition table (raw image)"];
  const lines = [`${l.scheme.toUpperCase()} partition table`];
  if (l.rawRegionBytes > 34 * SECTOR) lines.push(`raw region 0-${mib(l.rawRegionBytes)} (bootloader: U-Boot on a Rock64 image)`);
  for (const p of l.partitions) lines.push(`p${p.index} ${p.name || "(unnamed)"}: ${mib(p.sizeBytes)} at ${mib(p.startBytes)}`);
  return lines;
}
