import type { Position } from "./markdown.js";

export interface MetadataEntry {
  key: string;
  /** value with surrounding backticks removed */
  value: string;
  at: Position;
}

/** Strips one pair of backticks around a whole value: `` `lan.dhcp` `` reads as `lan.dhcp`. */
export function unquote(value: string): string {
  const m = /^`([^`]*)`$/.exec(value.trim());
  return m ? m[1]!.trim() : value.trim();
}
