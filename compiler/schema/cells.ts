import type { Position } from "../spec/markdown.js";

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
