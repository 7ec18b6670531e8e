import type { RootContent, Table, TableCell } from "mdast";
import { nodeText, sourceOf, startOf, type Position } from "../spec/markdown.js";

export interface Cell {
  /** markdown as written, without the surrounding pipes */
  raw: string;
  /** plain text (backticks and emphasis removed) */
  text: string;
  at: Position;
}

export interface ParsedTable {
  headers: string[];
  rows: Cell[][];
  at: Position;
}

/** mdast cell positions may include the delimiting pipes; keep only the content. */
function cellSource(raw: string): string {
  let s = raw.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  return s.trim();
}

export function readTable(source: string, node: RootContent): ParsedTable | undefined {
  if (node.type !== "table") return undefined;
  const table = node as Table;
  const toCells = (cells: TableCell[]): Cell[] =>
    cells.map((c) => {
      const written = sourceOf(source, c as unknown as RootContent);
      const raw = cellSource(written);
      const start = startOf(c);
      // Point at the content, not at the delimiting pipe or padding.
      const lead = raw ? written.indexOf(raw) : 0;
      return { raw, text: nodeText(c).trim(), at: { line: start.line, column: start.column + Math.max(lead, 0) } };
    });
  const [head, ...body] = table.children;
  return {
    headers: head ? toCells(head.children).map((c) => c.text) : [],
    rows: body.map((r) => toCells(r.children)),
    at: startOf(table),
  };
}

/** Splits a cell at `sep` outside backtick spans; returns each part's plain text and its backtick spans. */
export function splitCell(raw: string, sep: string): { text: string; code: string[] }[] {
  const parts: { text: string; code: string[] }[] = [];
  let text = "";
  let code: string[] = [];
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i]!;
    if (ch === "\\" && i + 1 < raw.length) {
      text += raw[i + 1];
      i += 2;
      continue;
    }
    if (ch === "`") {
      let ticks = 0;
      while (raw[i + ticks] === "`") ticks++;
      const fence = "`".repeat(ticks);
      const close = raw.indexOf(fence, i + ticks);
      if (close > 0) {
        // GFM unescapes \| inside table cells before code spans are read.
        const span = raw.slice(i + ticks, close).trim().replace(/\\\|/g, "|");
        code.push(span);
        text += "\u0000";
        i = close + ticks;
        continue;
      }
    }
    if (raw.startsWith(sep, i)) {
      parts.push({ text: text.trim(), code });
      text = "";
      code = [];
      i += sep.length;
      continue;
    }
    text += ch;
    i++;
  }
  parts.push({ text: text.trim(), code });
  return parts.filter((p) => p.text !== "" || p.code.length > 0);
}
