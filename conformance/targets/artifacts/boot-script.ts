import { readFileSync } from "node:fs";
import { mustRun } from "./exec.js";

export interface BootScriptImage {
  name: string;
  /** e.g. "Script" */
  type: string;
  /** e.g. "AArch64" */
  architecture: string;
  /** e.g. "uncompressed" */
  compression: string;
  dataSize: number;
  /** the script text carried by the image */
  payload: string;
}

/**
 * Header of a legacy U-Boot script image from `dumpimage -l`, plus its script text.
 * The text is cut from the file by the legacy layout (64-byte header, then a
 * zero-terminated table of big-endian sizes, then the data) because bookworm's
 * `dumpimage -p 0` also copies the size table into its output.
 */
export function inspectBootScript(file: string): BootScriptImage {
  const text = mustRun("dumpimage", ["-l", file]).toString("utf8");
  const get = (label: string): string => {
    const m = new RegExp(`^${label}:\\s*(.*)$`, "m").exec(text);
    if (!m?.[1]) throw new Error(`dumpimage -l ${file}: no "${label}" line:\n${text}`);
    return m[1].trim();
  };
  // "AArch64 Linux Script (uncompressed)": architecture, OS, type, (compression); some
  // architecture names hold a space ("Intel x86_64 Linux Script"), so the OS word is
  // found right before the type, which is the last word(s) before the parenthesis.
  const typeLine = /^(.+?)\s+(\S+)\s+(Script|Kernel Image|RAMDisk Image|Multi-File Image|Firmware|Flat Device Tree|Standalone Program|\S+)\s+\((.+)\)$/.exec(get("Image Type"));
  if (!typeLine) throw new Error(`dumpimage -l ${file}: cannot read Image Type "${get("Image Type")}"`);
  const bytes = readFileSync(file);
  const HEADER = 64;
  let pos = HEADER;
  const sizes: number[] = [];
  for (;;) {
    const n = bytes.readUInt32BE(pos);
    pos += 4;
    if (n === 0) break;
    sizes.push(n);
  }
  const payload = bytes.subarray(pos, pos + (sizes[0] ?? 0)).toString("utf8");
  return {
    name: get("Image Name"),
    architecture: typeLine[1]!,
    type: typeLine[3]!,
    compression: typeLine[4]!,
    dataSize: Number(/^(\d+)/.exec(get("Data Size"))?.[1] ?? NaN),
    payload,
  };
}
