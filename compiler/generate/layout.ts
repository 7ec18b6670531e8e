import type { CompiledTable } from "../schema/table-schema.js";

/**
 * The partition-layout spec's tables turned into numbers that the scripts, the Nix modules
 * and the tests read instead of keeping their own copies (issue 15): one JSON file for Nix
 * and TypeScript, the same facts as shell assignments for the scripts and the busybox
 * initrd (which have no JSON reader), and a typed accessor.
 */

const LAYOUT_TABLE = "partition-layout";
const ENV_TABLE = "uboot-env-location";

const MIB = 1048576;
const SECTOR = 512;
const GUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const NAME = /^[a-z][a-z0-9-]*$/;
const ROLES = ["boot", "rootfs", "data"] as const;
const CREATED = ["image", "first-boot"] as const;
const FILESYSTEMS = ["vfat", "squashfs", "f2fs", "none"] as const;

interface LayoutPartition {
  number: number;
  name: string;
  slot: string | null;
  role: (typeof ROLES)[number];
  startMiB: number;
  startBytes: number;
  startSector: number;
  /** null: runs to the end of the disk. */
  sizeMiB: number | null;
  sizeBytes: number | null;
  sizeSectors: number | null;
  type: string;
  filesystem: (typeof FILESYSTEMS)[number];
  createdBy: (typeof CREATED)[number];
}

interface EnvLocation {
  device: string;
  offset: number;
  size: number;
  eraseSize: number | null;
  /** As fw_env.config and U-Boot's Kconfig write them. */
  offsetHex: string;
  sizeHex: string;
  eraseSizeHex: string | null;
}

export interface PartitionLayout {
  source: string;
  sectorBytes: number;
  mibBytes: number;
  rawRegion: { startBytes: number; endBytes: number };
  /** End of the last partition the flash image holds: nothing of the image lies at or beyond it. */
  imageEnd: { mib: number; bytes: number; sector: number };
  partitions: LayoutPartition[];
  slots: Record<string, { boot: number; rootfs: number }>;
  /** U-Boot's CONFIG_BOOTMETH_RAUC_PARTITIONS: each slot's "boot,rootfs" pair, slots in order. */
  raucBootmethPartitions: string;
  ubootEnv: Record<string, EnvLocation>;
}

export class LayoutError extends Error {}

function rowError(t: CompiledTable, row: number, column: string, message: string): LayoutError {
  return new LayoutError(`${t.file ?? "specs"}:${t.rowLines[row] ?? "?"}: table ${t.id}, column "${column}": ${message}`);
}

function integer(t: CompiledTable, row: number, column: string, { optional = false } = {}): number | null {
  const raw = t.rows[row]![column] ?? "";
  if (raw === "" && optional) return null;
  if (!/^(0|[1-9][0-9]*)$/.test(raw)) throw rowError(t, row, column, `expected a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function oneOf<T extends string>(t: CompiledTable, row: number, column: string, allowed: readonly T[]): T {
  const raw = t.rows[row]![column] ?? "";
  if (!(allowed as readonly string[]).includes(raw)) throw rowError(t, row, column, `expected one of ${allowed.join(", ")}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

function byteCount(t: CompiledTable, row: number, column: string, optional: boolean): number | null {
  const raw = t.rows[row]![column] ?? "";
  if (raw === "" && optional) return null;
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(raw)) throw rowError(t, row, column, `expected a byte count (decimal or 0x hex), got ${JSON.stringify(raw)}`);
  return Number(raw);
}

const hex = (n: number) => `0x${n.toString(16)}`;

function requireColumns(t: CompiledTable, columns: readonly string[]): void {
  const missing = columns.filter((c) => !t.columns.includes(c));
  if (missing.length) throw new LayoutError(`${t.file ?? "specs"}: table ${t.id} lacks the column(s) ${missing.join(", ")}`);
}

function partitions(t: CompiledTable): LayoutPartition[] {
  requireColumns(t, ["number", "name", "slot", "role", "start_mib", "size_mib", "type", "filesystem", "created_by"]);
  const out: LayoutPartition[] = [];
  const names = new Set<string>();
  t.rows.forEach((r, i) => {
    const number = integer(t, i, "number")!;
    if (number !== i + 1) throw rowError(t, i, "number", `partitions must be numbered 1, 2, ... in row order; row ${i + 1} has ${number}`);
    const name = r.name ?? "";
    if (!NAME.test(name) || names.has(name)) throw rowError(t, i, "name", `expected a distinct lower-case partition name, got ${JSON.stringify(name)}`);
    names.add(name);
    const slot = r.slot ? r.slot : null;
    if (slot !== null && !/^[A-Z]$/.test(slot)) throw rowError(t, i, "slot", `expected one capital letter or nothing, got ${JSON.stringify(slot)}`);
    const role = oneOf(t, i, "role", ROLES);
    if ((role === "data") !== (slot === null)) throw rowError(t, i, "slot", role === "data" ? "the data partition belongs to no slot" : `a ${role} partition needs a slot`);
    const startMiB = integer(t, i, "start_mib")!;
    const sizeMiB = integer(t, i, "size_mib", { optional: true });
    if (sizeMiB === 0) throw rowError(t, i, "size_mib", "a partition cannot be empty");
    if (sizeMiB === null && i !== t.rows.length - 1) throw rowError(t, i, "size_mib", "only the last partition may run to the end of the disk");
    const prev = out[out.length - 1];
    if (prev && startMiB < prev.startMiB + (prev.sizeMiB ?? 0)) throw rowError(t, i, "start_mib", `${name} at ${startMiB} MiB overlaps ${prev.name}, which ends at ${prev.startMiB + prev.sizeMiB!} MiB`);
    if (!prev && startMiB === 0) throw rowError(t, i, "start_mib", "the raw U-Boot region needs the space before the first partition");
    const type = r.type ?? "";
    if (!GUID.test(type)) throw rowError(t, i, "type", `expected an upper-case GPT type GUID, got ${JSON.stringify(type)}`);
    const createdBy = oneOf(t, i, "created_by", CREATED);
    if (createdBy === "image" && prev?.createdBy === "first-boot") throw rowError(t, i, "created_by", "the image's partitions must come before those created on first boot");
    out.push({
      number,
      name,
      slot,
      role,
      startMiB,
      startBytes: startMiB * MIB,
      startSector: (startMiB * MIB) / SECTOR,
      sizeMiB,
      sizeBytes: sizeMiB === null ? null : sizeMiB * MIB,
      sizeSectors: sizeMiB === null ? null : (sizeMiB * MIB) / SECTOR,
      type,
      filesystem: oneOf(t, i, "filesystem", FILESYSTEMS),
      createdBy,
    });
  });
  if (!out.some((p) => p.createdBy === "image")) throw new LayoutError(`${t.file ?? "specs"}: table ${t.id} puts no partition in the image`);
  return out;
}

function slotMap(t: CompiledTable, parts: LayoutPartition[]): Record<string, { boot: number; rootfs: number }> {
  const slots: Record<string, { boot?: number; rootfs?: number }> = {};
  for (const p of parts) {
    if (p.slot === null || p.role === "data") continue;
    const s = (slots[p.slot] ??= {});
    if (s[p.role] !== undefined) throw rowError(t, p.number - 1, "role", `slot ${p.slot} already has a ${p.role} partition (${s[p.role]})`);
    s[p.role] = p.number;
  }
  const out: Record<string, { boot: number; rootfs: number }> = {};
  for (const [name, s] of Object.entries(slots).sort(([a], [b]) => a.localeCompare(b))) {
    if (s.boot === undefined || s.rootfs === undefined) throw new LayoutError(`${t.file ?? "specs"}: table ${t.id}: slot ${name} needs one boot and one rootfs partition`);
    out[name] = { boot: s.boot, rootfs: s.rootfs };
  }
  return out;
}

function envLocations(t: CompiledTable, rawEnd: number): Record<string, EnvLocation> {
  requireColumns(t, ["target", "device", "offset", "size", "erase_size"]);
  const out: Record<string, EnvLocation> = {};
  t.rows.forEach((r, i) => {
    const target = r.target ?? "";
    if (!NAME.test(target) || target in out) throw rowError(t, i, "target", `expected a distinct lower-case target name, got ${JSON.stringify(target)}`);
    const device = r.device ?? "";
    if (!/^\/dev\/[A-Za-z0-9]+$/.test(device)) throw rowError(t, i, "device", `expected a /dev path, got ${JSON.stringify(device)}`);
    const offset = byteCount(t, i, "offset", false)!;
    const size = byteCount(t, i, "size", false)!;
    if (size === 0) throw rowError(t, i, "size", "the environment cannot be empty");
    // On a disk (not SPI flash) the environment must sit in the raw region, before the first partition.
    if (!device.startsWith("/dev/mtd") && offset + size > rawEnd) throw rowError(t, i, "offset", `${hex(offset)}+${hex(size)} runs past the raw region (byte ${rawEnd})`);
    const eraseSize = byteCount(t, i, "erase_size", true);
    out[target] = { device, offset, size, eraseSize, offsetHex: hex(offset), sizeHex: hex(size), eraseSizeHex: eraseSize === null ? null : hex(eraseSize) };
  });
  return out;
}

/** The layout facts, or undefined for a corpus without the layout table (the compiler's own fixtures). */
export function partitionLayout(tables: readonly CompiledTable[]): PartitionLayout | undefined {
  const layout = tables.find((t) => t.id === LAYOUT_TABLE);
  const env = tables.find((t) => t.id === ENV_TABLE);
  if (!layout && !env) return undefined;
  if (!layout || !env) {
    const have = (layout ?? env)!;
    throw new LayoutError(`${have.file ?? "specs"}: table ${have.id} needs the table ${layout ? ENV_TABLE : LAYOUT_TABLE} beside it`);
  }
  const parts = partitions(layout);
  const rawEnd = parts[0]!.startBytes;
  const lastImage = parts.filter((p) => p.createdBy === "image").pop()!;
  const imageEndMiB = lastImage.startMiB + (lastImage.sizeMiB ?? 0);
  const slots = slotMap(layout, parts);
  return {
    source: layout.file ?? "specs",
    sectorBytes: SECTOR,
    mibBytes: MIB,
    rawRegion: { startBytes: 0, endBytes: rawEnd },
    imageEnd: { mib: imageEndMiB, bytes: imageEndMiB * MIB, sector: (imageEndMiB * MIB) / SECTOR },
    partitions: parts,
    slots,
    raucBootmethPartitions: Object.values(slots)
      .map((s) => `${s.boot},${s.rootfs}`)
      .join(" "),
    ubootEnv: envLocations(env, rawEnd),
  };
}

const shellKey = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, "_");

/**
 * The same facts as `KEY='value'` lines for `.` in bash and busybox sh. Values come from
 * the validated table (names, GUIDs, /dev paths, numbers), so none holds a quote.
 */
export function layoutShell(layout: PartitionLayout, header: string): string {
  const lines = [`# ${header}`, `# The facts of ${layout.source} for shell scripts; sizes and offsets in bytes unless the name says SECTOR or MIB.`];
  const set = (k: string, v: string | number | null) => lines.push(`LAYOUT_${k}='${v ?? ""}'`);
  set("SECTOR_BYTES", layout.sectorBytes);
  set("MIB", layout.mibBytes);
  set("RAW_END", layout.rawRegion.endBytes);
  set("IMAGE_END", layout.imageEnd.bytes);
  set("IMAGE_END_SECTOR", layout.imageEnd.sector);
  set("PARTITIONS", layout.partitions.length);
  for (const p of layout.partitions) {
    const k = shellKey(p.name);
    set(`${k}_NUMBER`, p.number);
    set(`${k}_START`, p.startBytes);
    set(`${k}_SIZE`, p.sizeBytes);
    set(`${k}_START_SECTOR`, p.startSector);
    set(`${k}_SIZE_SECTORS`, p.sizeSectors);
    set(`${k}_TYPE`, p.type);
    set(`${k}_FS`, p.filesystem);
  }
  for (const [name, s] of Object.entries(layout.slots)) {
    set(`SLOT_${shellKey(name)}_BOOT`, s.boot);
    set(`SLOT_${shellKey(name)}_ROOTFS`, s.rootfs);
  }
  set("RAUC_PARTITIONS", layout.raucBootmethPartitions);
  for (const [target, e] of Object.entries(layout.ubootEnv)) {
    const k = `ENV_${shellKey(target)}`;
    set(`${k}_DEVICE`, e.device);
    set(`${k}_OFFSET`, e.offsetHex);
    set(`${k}_SIZE`, e.sizeHex);
    set(`${k}_ERASE_SIZE`, e.eraseSizeHex);
  }
  return lines.join("\n") + "\n";
}

/** generated/layout/partition-layout.ts: the JSON with its types and the look-ups the callers share. */
export function layoutModule(layout: PartitionLayout, header: string): string {
  const slotNames = Object.keys(layout.slots);
  const union = (xs: readonly string[]) => xs.map((x) => JSON.stringify(x)).join(" | ") || "never";
  return `// ${header}
import data from "./partition-layout.json" with { type: "json" };

export type SlotName = ${union(slotNames)};
export type PartitionName = ${union(layout.partitions.map((p) => p.name))};
export type EnvTarget = ${union(Object.keys(layout.ubootEnv))};

export interface LayoutPartition {
  number: number;
  name: PartitionName;
  slot: SlotName | null;
  role: "boot" | "rootfs" | "data";
  startMiB: number;
  startBytes: number;
  startSector: number;
  /** null: runs to the end of the disk. */
  sizeMiB: number | null;
  sizeBytes: number | null;
  sizeSectors: number | null;
  type: string;
  filesystem: "vfat" | "squashfs" | "f2fs" | "none";
  createdBy: "image" | "first-boot";
}

export interface EnvLocation {
  device: string;
  offset: number;
  size: number;
  eraseSize: number | null;
  offsetHex: string;
  sizeHex: string;
  eraseSizeHex: string | null;
}

export interface PartitionLayout {
  source: string;
  sectorBytes: number;
  mibBytes: number;
  rawRegion: { startBytes: number; endBytes: number };
  imageEnd: { mib: number; bytes: number; sector: number };
  partitions: LayoutPartition[];
  slots: Record<SlotName, { boot: number; rootfs: number }>;
  raucBootmethPartitions: string;
  ubootEnv: Record<EnvTarget, EnvLocation>;
}

/** ${layout.source}'s tables, as generated/layout/partition-layout.json holds them. */
export const LAYOUT = data as PartitionLayout;

export function partition(name: PartitionName): LayoutPartition {
  const p = LAYOUT.partitions.find((x) => x.name === name);
  if (!p) throw new Error(\`generated/layout/partition-layout.json has no partition \${name}\`);
  return p;
}

/** The partition with GPT number \`n\` (1-based). */
export function partitionNumber(n: number): LayoutPartition {
  const p = LAYOUT.partitions[n - 1];
  if (!p || p.number !== n) throw new Error(\`generated/layout/partition-layout.json has no partition \${n}\`);
  return p;
}

/** Byte offset of a slot's boot partition on the disk (the VM driver reads and writes it there). */
export function bootPartitionOffset(slot: SlotName): number {
  return partitionNumber(LAYOUT.slots[slot].boot).startBytes;
}

/** Byte offset of a slot's rootfs partition on the disk. */
export function rootfsPartitionOffset(slot: SlotName): number {
  return partitionNumber(LAYOUT.slots[slot].rootfs).startBytes;
}

/** Where a target keeps its U-Boot environment. */
export function envLocation(target: EnvTarget): EnvLocation {
  return LAYOUT.ubootEnv[target];
}

/** The \`DEVICE OFFSET SIZE [ERASE]\` line of fw_env.config for a target, on \`device\` if given. */
export function fwEnvLine(target: EnvTarget, device?: string): string {
  const e = envLocation(target);
  return [device ?? e.device, e.offsetHex, e.sizeHex, ...(e.eraseSizeHex ? [e.eraseSizeHex] : [])].join(" ");
}
`;
}
