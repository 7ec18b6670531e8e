import type { RootContent } from "mdast";
import { sourceOf, type Position } from "./markdown.js";

export interface MetadataEntry {
  key: string;
  /** value with surrounding backticks removed */
  value: string;
  at: Position;
}

const METADATA_LINE = /^\*\*([A-Za-z0-9][A-Za-z0-9 _-]*)\*\*:\s*(.*?)\s*$/;

/** Strips one pair of backticks around a whole value: `` `lan.dhcp` `` reads as `lan.dhcp`. */
export function unquote(value: string): string {
  const m = /^`([^`]*)`$/.exec(value.trim());
  return m ? m[1]!.trim() : value.trim();
}

/**
 * Reads the `**Key**: value` paragraphs that directly follow a header. Returns the
 * entries and the index of the first node that is not metadata, so the caller can
 * treat the rest as the block's body.
 */
export function readMetadata(source: string, nodes: readonly RootContent[]): { entries: MetadataEntry[]; bodyStart: number } {
  const entries: MetadataEntry[] = [];
  let index = 0;
  for (; index < nodes.length; index++) {
    const node = nodes[index]!;
    if (node.type !== "paragraph") break;
    const lines = sourceOf(source, node).split("\n");
    const parsed = lines.map((line) => METADATA_LINE.exec(line.trim()));
    if (parsed.length === 0 || parsed.some((m) => m === null)) break;
    const first = node.position?.start ?? { line: 1, column: 1 };
    parsed.forEach((m, i) => {
      entries.push({ key: m![1]!.trim(), value: unquote(m![2]!), at: { line: first.line + i, column: i === 0 ? first.column : 1 } });
    });
  }
  return { entries, bodyStart: index };
}
