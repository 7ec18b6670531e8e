import type { Cell, ParsedTable } from "../schema/cells.js";
import { nodeText, parseMarkdown } from "./markdown.js";
import type { TableBlock } from "./model.js";
import type { Lines } from "./extract.js";
import type { MetadataEntry } from "./metadata.js";

const DELIMITER_ROW = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
/** Cells whose plain text needs a Markdown reading (emphasis, HTML, entities). */
const INLINE_MARKUP = /[*<&]/;
/** What can turn `[` or `![` into a link or image: an inline destination, a reference, a definition. */
const LINK_TAIL = /\](\(|\[|:)/;
const ALNUM = /[A-Za-z0-9]/;
/** Characters that were always sent to remark and are literal unless the rules below say otherwise. */
const MAYBE_MARKUP = /[_[!]/;
const AUTOLINK = /www\.|:\/\/|@|~/i;
const BLOCK_START = /^\s*(#|[-+>=~`]|\d+[.)])/;

/**
 * Whether remark could read `raw` differently from its literal text (escapes and code
 * spans aside, which cellText resolves itself). Brackets without a link tail stay
 * literal (no definitions exist inside one cell), and an `_` between two ASCII letters
 * or digits can neither open nor close emphasis (CommonMark's flanking rules), so
 * `[UNVERIFIED]` or `boot_count` skip the parser (a cold micromark run costs ms per cell).
 */
export function cellNeedsMarkdown(raw: string): boolean {
  const outsideCode = raw.replace(/`[^`]*`/g, "");
  if (INLINE_MARKUP.test(outsideCode)) return true;
  if (!MAYBE_MARKUP.test(outsideCode)) return false;
  // remark reads a lone cell as a document: a block marker in front keeps it in charge.
  // GFM autolink literals take escapes and brackets verbatim into the link; ~ strikes through.
  if (BLOCK_START.test(raw) || LINK_TAIL.test(raw) || AUTOLINK.test(raw)) return true;
  // Code spans are resolved here only in the plain case: single backticks, paired, none escaped.
  if (/``|\\`/.test(raw) || (raw.split("`").length - 1) % 2 === 1) return true;
  for (let i = raw.indexOf("_"); i >= 0; i = raw.indexOf("_", i + 1)) {
    if (!(i > 0 && ALNUM.test(raw[i - 1]!) && i + 1 < raw.length && ALNUM.test(raw[i + 1]!))) return true;
  }
  return false;
}

/** GFM cell boundaries: `|` not escaped by a backslash (also inside code spans, as GFM reads them first). */
function splitRow(line: string): { raw: string; column: number }[] {
  const cells: { raw: string; column: number }[] = [];
  let start = 0;
  const bounds: number[] = [];
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\\") i++;
    else if (line[i] === "|") bounds.push(i);
  }
  const trimmedStart = line.length - line.trimStart().length;
  const trimmedEnd = line.trimEnd().length;
  const edges = bounds.filter((b) => !(b === trimmedStart || b === trimmedEnd - 1));
  if (bounds[0] === trimmedStart) start = trimmedStart + 1;
  const end = bounds[bounds.length - 1] === trimmedEnd - 1 ? trimmedEnd - 1 : line.length;
  for (const b of [...edges, end]) {
    if (b < start) continue;
    const piece = line.slice(start, b);
    const lead = piece.length - piece.trimStart().length;
    // remark places an empty cell at its opening pipe
    cells.push({ raw: piece.trim(), column: piece.trim() ? start + lead + 1 : Math.max(start, 1) });
    start = b + 1;
  }
  return cells;
}

/** Plain text of a cell as mdast-util-to-string gives it: code spans without backticks, escapes resolved. */
export function cellText(raw: string): string {
  if (cellNeedsMarkdown(raw)) {
    const tree = parseMarkdown(raw.replace(/\\\|/g, "|"));
    return nodeText(tree).trim();
  }
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === "\\" && i + 1 < raw.length && /[!-/:-@[-`{-~]/.test(raw[i + 1]!)) {
      out += raw[++i];
      continue;
    }
    if (ch === "`") {
      let ticks = 0;
      while (raw[i + ticks] === "`") ticks++;
      const close = raw.indexOf("`".repeat(ticks), i + ticks);
      if (close > 0) {
        let span = raw.slice(i + ticks, close).replace(/\\\|/g, "|");
        if (span.startsWith(" ") && span.endsWith(" ") && span.trim()) span = span.slice(1, -1);
        out += span;
        i = close + ticks - 1;
        continue;
      }
    }
    out += ch;
  }
  return out.trim();
}

/** A GFM table starting at line `i` (header row + delimiter row), or undefined. */
function readTableAt(L: Lines, i: number, to: number): { table: ParsedTable; end: number } | undefined {
  if (i + 1 >= to || !L.text(i).includes("|") || !DELIMITER_ROW.test(L.text(i + 1)) || !L.text(i + 1).includes("-")) return undefined;
  const toCells = (line: number): Cell[] => splitRow(L.text(line)).map((c) => ({ raw: c.raw, text: cellText(c.raw), at: { line: line + 1, column: c.column } }));
  const header = toCells(i);
  if (splitRow(L.text(i + 1)).length !== header.length) return undefined;
  const rows: Cell[][] = [];
  let j = i + 2;
  for (; j < to && L.text(j).trim() && !L.fenced[j] && L.depth[j] === 0; j++) {
    // GFM pads short rows and drops cells beyond the header's count.
    rows.push(toCells(j).slice(0, header.length));
  }
  const indent = L.text(i).length - L.text(i).trimStart().length;
  return { table: { headers: header.map((c) => c.text), rows, at: { line: i + 1, column: indent + 1 } }, end: j };
}

/**
 * The `### Schema:` / `### Table:` block body between `from` and `to`: GFM tables
 * and the paragraphs that describe them.
 */
export function readTableBlock(L: Lines, head: number, from: number, to: number, kind: TableBlock["kind"], metadata: MetadataEntry[]): TableBlock {
  const prefix = kind === "schema" ? /^Schema:\s*(.*)$/ : /^Table:\s*(.*)$/;
  const title = L.title[head]!;
  const m = prefix.exec(title);
  const tables: ParsedTable[] = [];
  const paragraphs: string[] = [];
  let para: number | undefined;
  const endPara = (i: number) => {
    if (para !== undefined) paragraphs.push(L.span(para, i));
    para = undefined;
  };
  for (let i = from; i < to; i++) {
    const line = L.text(i);
    if (L.fenced[i] || L.depth[i]! > 0 || !line.trim()) {
      endPara(i);
      continue;
    }
    const t = readTableAt(L, i, to);
    if (t && para === undefined) {
      tables.push(t.table);
      i = t.end - 1;
      continue;
    }
    if (para === undefined && /^\s{0,3}([-*+]|\d{1,9}[.)])\s|^\s{0,3}>|^ {4}/.test(line)) continue;
    para ??= i;
  }
  endPara(to);
  return { kind, name: (m ? m[1]! : title).trim(), at: { line: head + 1, column: 1 }, metadata, description: paragraphs.join("\n\n"), tables };
}
