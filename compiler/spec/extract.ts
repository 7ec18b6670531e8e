/**
 * Reads a spec file into the SpecDocument model in one pass over its lines, with
 * the structure rules OpenSpec uses (ATX headers at the start of an unfenced line,
 * requirement and scenario blocks between them), so both rule sets read the same
 * requirements and scenarios and the cost stays linear in the file size. Markdown
 * semantics are needed only for GFM tables: each `## Schemas` / `## Tables` section
 * alone goes through remark (see table-blocks.ts).
 */
import { fenceMask } from "../openspec/lines.js";
import { unquote, type MetadataEntry } from "./metadata.js";
import type { DeltaOperation, DeltaSection, Rename, Requirement, Scenario, SpecDocument } from "./model.js";
import { readTableBlock } from "./table-blocks.js";

const REQUIREMENT_HEADER = /^Requirement:\s*(.*)$/;
const SCENARIO_HEADER = /^Scenario:\s*(.*)$/;
const DELTA_HEADER = /^(ADDED|MODIFIED|REMOVED|RENAMED)\s+Requirements$/i;
const RENAME_LINE = /^\s*[-*]?\s*(FROM|TO):\s*`?#{3}\s*Requirement:\s*(.+?)`?\s*$/i;
const HEADING = /^(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const METADATA_LINE = /^\*\*([A-Za-z0-9][A-Za-z0-9 _-]*)\*\*:\s*(.*?)\s*$/;
const LIST_ITEM = /^([ \t]{0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)/;

/** The lines of one source with what every reader needs: offsets, fence mask, headings. */
export class Lines {
  readonly lines: string[];
  readonly offsets: number[];
  readonly fenced: boolean[];
  /** heading depth per line (0 = not a heading) and its text */
  readonly depth: number[];
  readonly title: string[];
  /** true for lines of whitespace only */
  readonly blank: boolean[];

  constructor(readonly source: string) {
    const raw = source.split("\n");
    this.offsets = new Array(raw.length + 1);
    let o = 0;
    for (let i = 0; i < raw.length; i++) {
      this.offsets[i] = o;
      o += raw[i]!.length + 1;
      // CRLF files: readers see the line without its CR, offsets stay those of the source.
      if (raw[i]!.charCodeAt(raw[i]!.length - 1) === 13) raw[i] = raw[i]!.slice(0, -1);
    }
    this.offsets[raw.length] = source.length;
    this.lines = raw;
    this.fenced = fenceMask(raw);
    this.depth = new Array(raw.length).fill(0);
    this.title = new Array(raw.length).fill("");
    this.blank = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const line = raw[i]!;
      this.blank[i] = !/\S/.test(line);
      if (this.fenced[i] || line.charCodeAt(0) !== 35 /* # */) continue;
      const m = HEADING.exec(line);
      if (!m) continue;
      this.depth[i] = m[1]!.length;
      // An ATX heading may close with a run of #s after a space.
      this.title[i] = (m[2] ?? "").replace(/(^|[ \t]+)#+$/, "").trim();
    }
  }

  text(i: number): string {
    return this.lines[i]!;
  }

  /** Raw source of lines [from, to), trimmed. */
  span(from: number, to: number): string {
    if (from >= to) return "";
    return this.source.slice(this.offsets[from]!, this.offsets[to]! - (to < this.lines.length ? 1 : 0)).trim();
  }

  /** Line index ≥ from of the first heading of depth ≤ max before `to`, or `to`. */
  nextHeading(from: number, to: number, max: number): number {
    for (let i = from; i < to; i++) if (this.depth[i]! > 0 && this.depth[i]! <= max) return i;
    return to;
  }
}

interface Blockish {
  /** heading line */
  head: number;
  /** first line after the block */
  end: number;
}

/** Splits [from, to) at headings of exactly `depth`; a higher-ranked heading ends the current block. */
function split(L: Lines, from: number, to: number, depth: number): { firstHead: number; blocks: Blockish[] } {
  const blocks: Blockish[] = [];
  let current: Blockish | undefined;
  let firstHead = to;
  for (let i = from; i < to; i++) {
    const d = L.depth[i]!;
    if (d === 0 || d > depth) continue;
    if (current) {
      current.end = i;
      current = undefined;
    }
    if (firstHead === to) firstHead = i;
    if (d === depth) {
      current = { head: i, end: to };
      blocks.push(current);
    }
  }
  return { firstHead, blocks };
}

/** `**Key**: value` paragraphs directly below a heading; returns the line where the body starts. */
function readMetadata(L: Lines, from: number, to: number): { entries: MetadataEntry[]; bodyStart: number } {
  const entries: MetadataEntry[] = [];
  let i = from;
  while (i < to && L.blank[i]) i++;
  let bodyStart = i;
  while (i < to && !L.fenced[i] && L.depth[i] === 0) {
    let j = i;
    const para: MetadataEntry[] = [];
    let all = true;
    while (j < to && !L.blank[j] && L.depth[j] === 0 && !L.fenced[j]) {
      const m = all ? METADATA_LINE.exec(L.text(j).trim()) : null;
      if (!m) all = false;
      else para.push({ key: m[1]!.trim(), value: unquote(m[2]!), at: { line: j + 1, column: j === i ? 1 + (L.text(j).length - L.text(j).trimStart().length) : 1 } });
      j++;
    }
    if (!all || para.length === 0) break;
    entries.push(...para);
    i = j;
    while (i < to && L.blank[i]) i++;
    bodyStart = i;
  }
  return { entries, bodyStart };
}

/** The first bullet list of a scenario body: each item's first paragraph as written. */
function readStepItems(L: Lines, from: number, to: number): Scenario["stepItems"] {
  let i = from;
  while (i < to && (L.fenced[i] || !LIST_ITEM.test(L.text(i)))) i++;
  if (i >= to) return null;
  const indent = LIST_ITEM.exec(L.text(i))![1]!.length;
  const items: { raw: string; at: { line: number; column: number } }[] = [];
  let current: { lines: string[]; at: { line: number; column: number }; open: boolean } | undefined;
  const flush = () => {
    if (current) items.push({ raw: current.lines.join("\n").trim(), at: current.at });
  };
  let blank = false;
  for (; i < to; i++) {
    const line = L.text(i);
    if (L.fenced[i]) {
      if (current) current.open = false;
      continue;
    }
    if (L.blank[i]) {
      blank = true;
      if (current) current.open = false;
      continue;
    }
    const m = LIST_ITEM.exec(line);
    if (m && m[1]!.length === indent) {
      flush();
      current = { lines: [line.slice(m[0].length)], at: { line: i + 1, column: indent + 1 }, open: true };
      blank = false;
      continue;
    }
    const leading = line.length - line.trimStart().length;
    if (leading > indent) {
      // Continuation of the item's first paragraph, or nested content after it.
      if (current?.open && !LIST_ITEM.test(line.trimStart())) current.lines.push(line.trim());
      else if (current) current.open = false;
      continue;
    }
    if (!blank && current?.open) {
      current.lines.push(line.trim());
      continue;
    }
    break;
  }
  flush();
  return items;
}

function readScenario(L: Lines, b: Blockish): Scenario {
  const title = L.title[b.head]!;
  const m = SCENARIO_HEADER.exec(title);
  const { entries, bodyStart } = readMetadata(L, b.head + 1, b.end);
  return {
    name: (m ? m[1]! : title).trim(),
    prefixed: m !== null,
    at: { line: b.head + 1, column: 1 },
    metadata: entries,
    rawText: L.span(b.head + 1, b.end),
    stepItems: readStepItems(L, bodyStart, b.end),
    start: L.offsets[b.head]!,
    end: L.offsets[b.end]!,
  };
}

function readRequirement(L: Lines, b: Blockish): Requirement {
  const title = L.title[b.head]!;
  const m = REQUIREMENT_HEADER.exec(title);
  const { firstHead, blocks } = split(L, b.head + 1, b.end, 4);
  const { entries, bodyStart } = readMetadata(L, b.head + 1, firstHead);
  let textLine = bodyStart;
  while (textLine < firstHead && L.blank[textLine]) textLine++;
  return {
    name: (m ? m[1]! : title).trim(),
    prefixed: m !== null,
    at: { line: b.head + 1, column: 1 },
    metadata: entries,
    text: L.span(bodyStart, firstHead),
    textAt: { line: (textLine < firstHead ? textLine : b.head) + 1, column: 1 },
    scenarios: blocks.map((s) => readScenario(L, s)),
    start: L.offsets[b.head]!,
    end: L.offsets[b.end]!,
  };
}

function readRenames(L: Lines, from: number, to: number): Rename[] {
  const renames: Rename[] = [];
  let pending: { from: string; at: { line: number; column: number } } | undefined;
  for (let i = from; i < to; i++) {
    if (L.fenced[i]) continue;
    const m = RENAME_LINE.exec(L.text(i));
    if (!m) continue;
    if (m[1]!.toUpperCase() === "FROM") pending = { from: m[2]!.trim(), at: { line: i + 1, column: 1 } };
    else if (pending) {
      renames.push({ from: pending.from, to: m[2]!.trim(), at: pending.at });
      pending = undefined;
    }
  }
  return renames;
}

export function extractSpecDocument(file: string, source: string): SpecDocument {
  const doc: SpecDocument = { file, source, sections: [], requirements: [], schemas: [], tables: [], deltas: [] };
  const L = new Lines(source);
  const { blocks } = split(L, 0, L.lines.length, 2);
  for (let i = 0; i < (blocks[0]?.head ?? L.lines.length); i++) {
    if (L.depth[i] === 1) {
      doc.title = { text: L.title[i]!, at: { line: i + 1, column: 1 } };
      break;
    }
  }
  for (const block of blocks) {
    const name = L.title[block.head]!;
    const at = { line: block.head + 1, column: 1 };
    const start = L.offsets[block.head]!;
    const end = L.offsets[block.end]!;
    doc.sections.push({ name, at, start, end });
    const lower = name.toLowerCase();
    const delta = DELTA_HEADER.exec(name);
    const reqBlocks = () => split(L, block.head + 1, block.end, 3).blocks.map((b) => readRequirement(L, b));
    if (lower === "purpose") {
      doc.purpose = { text: L.span(block.head + 1, block.end), at };
    } else if (lower === "requirements") {
      doc.requirementsSection = { at, start, contentStart: L.offsets[block.head + 1] ?? end, end };
      doc.requirements.push(...reqBlocks());
    } else if (lower === "schemas" || lower === "tables") {
      const kind = lower === "schemas" ? "schema" : "table";
      const out = kind === "schema" ? doc.schemas : doc.tables;
      for (const b of split(L, block.head + 1, block.end, 3).blocks) {
        const { entries, bodyStart } = readMetadata(L, b.head + 1, b.end);
        out.push(readTableBlock(L, b.head, bodyStart, b.end, kind, entries));
      }
    } else if (delta) {
      const operation = delta[1]!.toUpperCase() as DeltaOperation;
      const section: DeltaSection = { operation, at, requirements: reqBlocks(), renames: operation === "RENAMED" ? readRenames(L, block.head + 1, block.end) : [] };
      doc.deltas.push(section);
    }
  }
  return doc;
}

/** h2 sections of a small document (proposal.md): name, heading line, and trimmed text. */
export function h2Sections(source: string): { name: string; at: { line: number; column: number }; text: string }[] {
  const L = new Lines(source);
  return split(L, 0, L.lines.length, 2).blocks.map((b) => ({ name: L.title[b.head]!, at: { line: b.head + 1, column: 1 }, text: L.span(b.head + 1, b.end) }));
}
