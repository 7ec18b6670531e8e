import { closeSync, openSync, readSync, readFileSync, statSync } from "node:fs";
import { mustRun } from "./exec.js";

const SECTOR_BYTES = 512;

interface PartitionEntry {
  /** 1-based partition number */
  number: number;
  /** start and size in 512-byte sectors, as sfdisk reports them */
  start: number;
  size: number;
  /** GPT type GUID, upper case */
  type: string;
  uuid: string;
  name: string;
}

export interface DiskLayout {
  label: string;
  sectorSize: number;
  firstLba: number;
  lastLba: number;
  /** apparent size of the image file in bytes */
  fileBytes: number;
  /** bytes the file really occupies on disk (it is sparse) */
  allocatedBytes: number;
  partitions: PartitionEntry[];
}

interface SfdiskJson {
  partitiontable: {
    label: string;
    sectorsize?: number;
    firstlba?: number;
    lastlba?: number;
    partitions?: { node: string; start: number; size: number; type: string; uuid?: string; name?: string }[];
  };
}

/** Partition table of a disk image file, from `sfdisk --json` (util-linux). */
export function inspectDiskLayout(image: string): DiskLayout {
  const table = (JSON.parse(mustRun("sfdisk", ["--json", image]).toString("utf8")) as SfdiskJson).partitiontable;
  const st = statSync(image);
  return {
    label: table.label,
    sectorSize: table.sectorsize ?? SECTOR_BYTES,
    firstLba: table.firstlba ?? 0,
    lastLba: table.lastlba ?? 0,
    fileBytes: st.size,
    allocatedBytes: st.blocks * 512,
    partitions: (table.partitions ?? []).map((p) => ({
      // sfdisk names nodes "<image><n>"; the trailing digits are the number
      number: Number(/(\d+)$/.exec(p.node)?.[1] ?? NaN),
      start: p.start,
      size: p.size,
      type: p.type.toUpperCase(),
      uuid: (p.uuid ?? "").toUpperCase(),
      name: p.name ?? "",
    })),
  };
}

export interface RawBlobCheck {
  name: string;
  offset: number;
  length: number;
  /** the image bytes at offset equal the file */
  identical: boolean;
  /** first byte past the blob */
  end: number;
}

/** Reads `length` bytes at `offset` of a file. */
function readBytes(file: string, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const fd = openSync(file, "r");
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/**
 * Compares the raw bytes the boot ROM reads (outside any partition) with the
 * loader files that should sit there, e.g. idbloader.img at sector 64.
 */
export function checkRawBlobs(image: string, blobs: readonly { name: string; offset: number; file: string }[]): RawBlobCheck[] {
  return blobs.map(({ name, offset, file }) => {
    const want = readFileSync(file);
    const got = readBytes(image, offset, want.length);
    return { name, offset, length: want.length, identical: got.equals(want), end: offset + want.length };
  });
}
