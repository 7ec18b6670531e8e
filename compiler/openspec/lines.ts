/**
 * The line-level reading OpenSpec 1.13 applies to spec files, reimplemented so that
 * `--rules openspec` reaches the same verdicts: fenced code is masked line by line,
 * headers are `#` runs at the start of a line, requirement bodies and scenarios are
 * counted the way its validator counts them. Every function here is one pass over
 * the lines (the OpenSpec CLI rescans the rest of the file per header).
 */

export type Mask = boolean[];

/** Strips a UTF-8 BOM and turns CRLF/CR into LF. */
export function normalizeText(content: string): string {
  return content.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
}

const FENCE_OPEN = /^\s*(`{3,}|~{3,})/;
const FENCE_CLOSE = /^\s*(`{3,}|~{3,})\s*$/;

/** true for every line of a fenced code block, the fence lines included. */
export function fenceMask(lines: readonly string[]): Mask {
  const mask: Mask = new Array(lines.length).fill(false);
  let active: { marker: string; length: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!active) {
      const m = FENCE_OPEN.exec(line);
      if (m) {
        active = { marker: m[1]![0]!, length: m[1]!.length };
        mask[i] = true;
      }
      continue;
    }
    mask[i] = true;
    const c = FENCE_CLOSE.exec(line);
    if (c && c[1]![0] === active.marker && c[1]!.length >= active.length) active = undefined;
  }
  return mask;
}

const METADATA_LINE = /^\*\*[^*]+\*\*:/;
const HEADER_LINE = /^#{1,6}\s/;
export const SCENARIO_HEADER = /^####\s+/;
const SCENARIO_BODY_END = /^#{1,4}\s/;

export function containsShallOrMust(text: string): boolean {
  return /\b(SHALL|MUST)\b/.test(text);
}

/** Requirement body: unfenced, non-blank lines up to the first header; metadata lines only when nothing else is there. */
export function requirementBody(bodyLines: readonly string[]): string {
  const mask = fenceMask(bodyLines);
  const captured: string[] = [];
  const metadata: string[] = [];
  for (let i = 0; i < bodyLines.length; i++) {
    if (mask[i]) continue;
    const line = bodyLines[i]!;
    if (HEADER_LINE.test(line)) break;
    const trimmed = line.trim();
    if (!trimmed) continue;
    if (METADATA_LINE.test(trimmed)) metadata.push(trimmed);
    else captured.push(trimmed);
  }
  return captured.length > 0 ? captured.join("\n") : metadata.join("\n");
}

/** The bodies of the `####` headers of a requirement block (any level-4 header is a scenario to OpenSpec). */
export function scenarioBodies(bodyLines: readonly string[]): string[] {
  const mask = fenceMask(bodyLines);
  const bodies: string[] = [];
  let open = -1;
  const close = (end: number) => {
    if (open >= 0) bodies.push(bodyLines.slice(open + 1, end).join("\n"));
    open = -1;
  };
  for (let i = 0; i < bodyLines.length; i++) {
    if (mask[i]) continue;
    const line = bodyLines[i]!;
    if (SCENARIO_HEADER.test(line)) {
      close(i);
      open = i;
    } else if (SCENARIO_BODY_END.test(line)) close(i);
  }
  close(bodyLines.length);
  return bodies;
}

export const hasBody = (body: string) => body.trim().length > 0;

export interface Section {
  level: number;
  title: string;
  /** 0-based line of the header */
  line: number;
  content: string;
  children: Section[];
}

const SECTION_HEADER = /^(#{1,6})\s+(.+)$/;
const SECTION_BOUNDARY = /^(#{1,6})\s+/;

/**
 * OpenSpec's section tree: a header's content runs to the next unfenced header of the
 * same or a higher rank. Built with two stacks in one pass: one for the tree, one for
 * the sections whose content is still open.
 */
export function parseSections(lines: readonly string[], mask: Mask): Section[] {
  const roots: Section[] = [];
  const tree: Section[] = [];
  const open: Section[] = [];
  const finish = (s: Section, end: number) => {
    s.content = lines.slice(s.line + 1, end).join("\n").trim();
  };
  for (let i = 0; i < lines.length; i++) {
    if (mask[i]) continue;
    const line = lines[i]!;
    const boundary = SECTION_BOUNDARY.exec(line);
    if (!boundary) continue;
    const level = boundary[1]!.length;
    while (open.length > 0 && open[open.length - 1]!.level >= level) finish(open.pop()!, i);
    const header = SECTION_HEADER.exec(line);
    if (!header) continue;
    const section: Section = { level, title: header[2]!.trim(), line: i, content: "", children: [] };
    while (tree.length > 0 && tree[tree.length - 1]!.level >= level) tree.pop();
    (tree.length === 0 ? roots : tree[tree.length - 1]!.children).push(section);
    tree.push(section);
    open.push(section);
  }
  while (open.length > 0) finish(open.pop()!, lines.length);
  return roots;
}

/** Depth-first search by title, case-insensitive, as OpenSpec looks up Purpose and Requirements. */
export function findSection(sections: readonly Section[], title: string): Section | undefined {
  const want = title.toLowerCase();
  const stack = [...sections].reverse();
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (s.title.toLowerCase() === want) return s;
    for (let i = s.children.length - 1; i >= 0; i--) stack.push(s.children[i]!);
  }
  return undefined;
}
