import { unified } from "unified";
import remarkParse from "remark-parse";
import remarkGfm from "remark-gfm";
import type { Root, RootContent, Heading } from "mdast";
import { toString } from "mdast-util-to-string";

// One frozen processor: building it per file costs more than parsing a spec.
const processor = unified().use(remarkParse).use(remarkGfm).freeze();

export function parseMarkdown(source: string): Root {
  return processor.parse(source) as Root;
}

export interface Position {
  line: number;
  column: number;
}

export function startOf(node: { position?: { start: { line: number; column: number } } } | undefined): Position {
  const start = node?.position?.start;
  return start ? { line: start.line, column: start.column } : { line: 1, column: 1 };
}

export function sourceOf(source: string, node: RootContent | undefined): string {
  const pos = node?.position;
  if (!pos || pos.start.offset === undefined || pos.end.offset === undefined) return "";
  return source.slice(pos.start.offset, pos.end.offset);
}

export function headingText(node: Heading): string {
  return toString(node).trim();
}

export interface HeadingBlock {
  heading: Heading;
  nodes: RootContent[];
  /** offset of the heading's first character */
  start: number;
  /** offset where the next heading of the same or higher rank starts (or end of file) */
  end: number;
}

/**
 * Splits a flat node list at headings of exactly `depth`; a heading of a higher rank
 * (smaller depth) ends the current block and is returned in `rest` together with
 * everything after it, so callers decide what an unexpected higher heading means.
 */
export function splitAtHeadings(
  nodes: readonly RootContent[],
  depth: number,
  sourceLength: number,
): { before: RootContent[]; blocks: HeadingBlock[] } {
  const before: RootContent[] = [];
  const blocks: HeadingBlock[] = [];
  let current: HeadingBlock | undefined;
  for (const node of nodes) {
    if (node.type === "heading" && node.depth <= depth) {
      if (current) {
        current.end = node.position?.start.offset ?? current.end;
        current = undefined;
      }
      if (node.depth === depth) {
        current = { heading: node, nodes: [], start: node.position?.start.offset ?? 0, end: sourceLength };
        blocks.push(current);
        continue;
      }
    }
    if (current) current.nodes.push(node);
    else before.push(node);
  }
  return { before, blocks };
}

export { toString as nodeText };
