import type { List, Root, RootContent } from "mdast";
import { readTable } from "../schema/cells.js";
import { headingText, parseMarkdown, sourceOf, splitAtHeadings, startOf, type HeadingBlock } from "./markdown.js";
import { readMetadata } from "./metadata.js";
import type { DeltaOperation, DeltaSection, Rename, Requirement, Scenario, SpecDocument, TableBlock } from "./model.js";

const REQUIREMENT_HEADER = /^Requirement:\s*(.*)$/;
const SCENARIO_HEADER = /^Scenario:\s*(.*)$/;
const DELTA_HEADER = /^(ADDED|MODIFIED|REMOVED|RENAMED)\s+Requirements$/i;
const RENAME_LINE = /^\s*[-*]?\s*(FROM|TO):\s*`?#{3}\s*Requirement:\s*(.+?)`?\s*$/i;

/** Raw markdown between the first and last node of a list, as written. */
function rawSpan(source: string, nodes: readonly RootContent[]): string {
  const first = nodes[0]?.position?.start.offset;
  const last = nodes[nodes.length - 1]?.position?.end.offset;
  return first === undefined || last === undefined ? "" : source.slice(first, last).trim();
}

function extractScenario(source: string, block: HeadingBlock): Scenario {
  const title = headingText(block.heading);
  const { entries, bodyStart } = readMetadata(source, block.nodes);
  const list = block.nodes.slice(bodyStart).find((n): n is List => n.type === "list");
  const m = SCENARIO_HEADER.exec(title);
  return {
    name: (m ? m[1]! : title).trim(),
    prefixed: m !== null,
    at: startOf(block.heading),
    metadata: entries,
    rawText: rawSpan(source, block.nodes),
    stepItems: list ? list.children.map((item) => ({ raw: sourceOf(source, item.children[0]).trim(), at: startOf(item) })) : null,
    start: block.start,
    end: block.end,
  };
}

function extractRequirement(source: string, block: HeadingBlock): Requirement {
  const title = headingText(block.heading);
  const m = REQUIREMENT_HEADER.exec(title);
  const { before, blocks } = splitAtHeadings(block.nodes, 4, block.end);
  const { entries, bodyStart } = readMetadata(source, before);
  const body = before.slice(bodyStart);
  return {
    name: (m ? m[1]! : title).trim(),
    prefixed: m !== null,
    at: startOf(block.heading),
    metadata: entries,
    text: rawSpan(source, body),
    textAt: startOf(body[0] ?? block.heading),
    scenarios: blocks.map((b) => extractScenario(source, b)),
    start: block.start,
    end: block.end,
  };
}

function extractTableBlocks(source: string, nodes: readonly RootContent[], end: number, kind: TableBlock["kind"]): TableBlock[] {
  const prefix = kind === "schema" ? /^Schema:\s*(.*)$/ : /^Table:\s*(.*)$/;
  return splitAtHeadings(nodes, 3, end).blocks.map((block) => {
    const title = headingText(block.heading);
    const { entries, bodyStart } = readMetadata(source, block.nodes);
    const rest = block.nodes.slice(bodyStart);
    const m = prefix.exec(title);
    return {
      kind,
      name: (m ? m[1]! : title).trim(),
      at: startOf(block.heading),
      metadata: entries,
      description: rest.filter((n) => n.type === "paragraph").map((n) => sourceOf(source, n).trim()).join("\n\n"),
      tables: rest.flatMap((n) => readTable(source, n) ?? []),
    };
  });
}

function extractRenames(source: string, nodes: readonly RootContent[]): Rename[] {
  const renames: Rename[] = [];
  let pending: { from: string; at: { line: number; column: number } } | undefined;
  for (const node of nodes) {
    const text = sourceOf(source, node);
    const baseLine = node.position?.start.line ?? 1;
    text.split("\n").forEach((line, i) => {
      const m = RENAME_LINE.exec(line);
      if (!m) return;
      if (m[1]!.toUpperCase() === "FROM") pending = { from: m[2]!.trim(), at: { line: baseLine + i, column: 1 } };
      else if (pending) {
        renames.push({ from: pending.from, to: m[2]!.trim(), at: pending.at });
        pending = undefined;
      }
    });
  }
  return renames;
}

export function extractSpecDocument(file: string, source: string, tree: Root = parseMarkdown(source)): SpecDocument {
  const doc: SpecDocument = { file, source, sections: [], requirements: [], schemas: [], tables: [], deltas: [] };
  const { before, blocks } = splitAtHeadings(tree.children, 2, source.length);
  const h1 = before.find((n) => n.type === "heading" && n.depth === 1);
  if (h1 && h1.type === "heading") doc.title = { text: headingText(h1), at: startOf(h1) };
  for (const block of blocks) {
    const name = headingText(block.heading);
    const at = startOf(block.heading);
    doc.sections.push({ name, at, start: block.start, end: block.end });
    const lower = name.toLowerCase();
    const delta = DELTA_HEADER.exec(name);
    if (lower === "purpose") {
      doc.purpose = { text: rawSpan(source, block.nodes), at };
    } else if (lower === "requirements") {
      const contentStart = block.heading.position?.end.offset ?? block.start;
      doc.requirementsSection = { at, start: block.start, contentStart, end: block.end };
      doc.requirements.push(...splitAtHeadings(block.nodes, 3, block.end).blocks.map((b) => extractRequirement(source, b)));
    } else if (lower === "schemas") {
      doc.schemas.push(...extractTableBlocks(source, block.nodes, block.end, "schema"));
    } else if (lower === "tables") {
      doc.tables.push(...extractTableBlocks(source, block.nodes, block.end, "table"));
    } else if (delta) {
      const operation = delta[1]!.toUpperCase() as DeltaOperation;
      const split = splitAtHeadings(block.nodes, 3, block.end);
      const section: DeltaSection = {
        operation,
        at,
        requirements: split.blocks.map((b) => extractRequirement(source, b)),
        renames: operation === "RENAMED" ? extractRenames(source, block.nodes) : [],
      };
      doc.deltas.push(section);
    }
  }
  return doc;
}
