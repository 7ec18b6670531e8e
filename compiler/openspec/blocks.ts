/**
 * Requirement blocks as OpenSpec's delta reader and archive see them: the
 * `## Requirements` section of a main spec split at `### Requirement:` headers, and a
 * delta spec's ADDED/MODIFIED/REMOVED/RENAMED sections.
 */
import { fenceMask, normalizeText, SCENARIO_HEADER, type Mask } from "./lines.js";

export interface Block {
  name: string;
  raw: string;
  /** 1-based line of the `### Requirement:` header */
  line: number;
}

export function normalizeName(name: string): string {
  return name.replace(/[ \t]+#+[ \t]*$/, "").trim();
}

export function foldName(name: string): string {
  return normalizeName(name).toLowerCase().replace(/\s+/g, " ");
}

const REQUIREMENT_HEADER = /^###\s*Requirement:\s*(.+)\s*$/i;
const TOP_HEADER = /^##\s+/;

/** Splits lines[from, to) into requirement blocks; `skipped` receives other `###` headers. */
function splitBlocks(lines: readonly string[], mask: Mask, from: number, to: number, skipped?: (header: string, line: number) => void): Block[] {
  const blocks: Block[] = [];
  let current: { name: string; start: number; buf: string[] } | undefined;
  const close = () => {
    if (current) blocks.push({ name: current.name, raw: current.buf.join("\n").trimEnd(), line: current.start + 1 });
    current = undefined;
  };
  for (let i = from; i < to; i++) {
    const line = lines[i]!;
    const m = mask[i] ? null : REQUIREMENT_HEADER.exec(line);
    if (m) {
      close();
      current = { name: normalizeName(m[1]!), start: i, buf: [line] };
      continue;
    }
    if (!mask[i] && skipped) {
      const h3 = /^###\s+(.+?)\s*$/.exec(line);
      if (h3) skipped(h3[1]!.trim(), i + 1);
    }
    if (current) {
      if (!mask[i] && TOP_HEADER.test(line)) close();
      else current.buf.push(line);
    }
  }
  close();
  return blocks;
}

export interface RequirementsSection {
  found: boolean;
  blocks: Block[];
}

/** Keeps the last few results per function: a main spec is read once per delta that targets it. */
export function memoByText<T>(fn: (text: string) => T, size = 16): (text: string) => T {
  const memo = new Map<string, T>();
  return (text) => {
    const hit = memo.get(text);
    if (hit !== undefined) return hit;
    const value = fn(text);
    if (memo.size >= size) memo.delete(memo.keys().next().value!);
    memo.set(text, value);
    return value;
  };
}

/** The blocks of the first unfenced `## Requirements` section. */
export const requirementsSection = memoByText(readRequirementsSection);

function readRequirementsSection(content: string): RequirementsSection {
  const lines = normalizeText(content).split("\n");
  const mask = fenceMask(lines);
  const start = lines.findIndex((l, i) => !mask[i] && /^##\s+Requirements\s*$/i.test(l));
  if (start < 0) return { found: false, blocks: [] };
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (!mask[i] && TOP_HEADER.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  return { found: true, blocks: splitBlocks(lines, mask, start + 1, end) };
}

export interface DeltaPlan {
  added: Block[];
  modified: Block[];
  removed: { name: string; line: number }[];
  renamed: { from: string; to: string; line: number }[];
  unpairedRenames: { side: "FROM" | "TO"; name: string; line: number }[];
  orphans: { name: string; section: string | null; line: number }[];
  skippedHeaders: { header: string; section: string; line: number }[];
  presence: { added: boolean; modified: boolean; removed: boolean; renamed: boolean };
}

const DELTA_TITLES = ["ADDED Requirements", "MODIFIED Requirements", "REMOVED Requirements", "RENAMED Requirements"] as const;
const REMOVED_BULLET = /^\s*[-*+]\s*`?###\s*Requirement:\s*(.+?)`?\s*$/;
const FROM_LINE = /^\s*[-*+]?\s*FROM:\s*`?###\s*Requirement:\s*(.+?)`?\s*$/;
const TO_LINE = /^\s*[-*+]?\s*TO:\s*`?###\s*Requirement:\s*(.+?)`?\s*$/;

export function parseDeltaSpec(content: string): DeltaPlan {
  const lines = normalizeText(content).split("\n");
  const mask = fenceMask(lines);
  const sections: { title: string; from: number; to: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (mask[i]) continue;
    const m = /^(##)\s+(.+)$/.exec(lines[i]!);
    if (m) {
      if (sections.length) sections[sections.length - 1]!.to = i;
      sections.push({ title: m[2]!.trim(), from: i + 1, to: lines.length });
    }
  }
  const plan: DeltaPlan = { added: [], modified: [], removed: [], renamed: [], unpairedRenames: [], orphans: [], skippedHeaders: [], presence: { added: false, modified: false, removed: false, renamed: false } };
  const lookup = (title: string) => sections.filter((s) => s.title.toLowerCase() === title.toLowerCase());
  const [addedT, modifiedT, removedT, renamedT] = DELTA_TITLES;
  for (const [title, key] of [[addedT, "added"], [modifiedT, "modified"]] as const) {
    const found = lookup(title);
    plan.presence[key] = found.length > 0;
    const label = found[0]?.title ?? title;
    for (const s of found) plan[key].push(...splitBlocks(lines, mask, s.from, s.to, (header, line) => plan.skippedHeaders.push({ header, section: label, line })));
  }
  const removed = lookup(removedT);
  plan.presence.removed = removed.length > 0;
  for (const s of removed) {
    for (let i = s.from; i < s.to; i++) {
      if (mask[i]) continue;
      const m = REQUIREMENT_HEADER.exec(lines[i]!) ?? REMOVED_BULLET.exec(lines[i]!);
      if (m) plan.removed.push({ name: normalizeName(m[1]!), line: i + 1 });
    }
  }
  const renamed = lookup(renamedT);
  plan.presence.renamed = renamed.length > 0;
  for (const s of renamed) {
    let pending: { name: string; line: number } | undefined;
    for (let i = s.from; i < s.to; i++) {
      if (mask[i]) continue;
      const from = FROM_LINE.exec(lines[i]!);
      const to = from ? null : TO_LINE.exec(lines[i]!);
      if (from) {
        if (pending) plan.unpairedRenames.push({ side: "FROM", ...pending });
        pending = { name: normalizeName(from[1]!), line: i + 1 };
      } else if (to) {
        const name = normalizeName(to[1]!);
        if (!pending) plan.unpairedRenames.push({ side: "TO", name, line: i + 1 });
        else {
          plan.renamed.push({ from: pending.name, to: name, line: pending.line });
          pending = undefined;
        }
      }
    }
    if (pending) plan.unpairedRenames.push({ side: "FROM", ...pending });
  }
  plan.unpairedRenames.sort((a, b) => a.line - b.line);
  plan.skippedHeaders.sort((a, b) => a.line - b.line);
  const deltaTitles = new Set(DELTA_TITLES.map((t) => t.toLowerCase()));
  let section: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    if (mask[i]) continue;
    const m = /^(##)\s+(.+)$/.exec(lines[i]!);
    if (m) {
      section = m[2]!.trim();
      continue;
    }
    if (section !== null && deltaTitles.has(section.toLowerCase())) continue;
    const h = REQUIREMENT_HEADER.exec(lines[i]!);
    if (h) plan.orphans.push({ name: normalizeName(h[1]!), section, line: i + 1 });
  }
  return plan;
}

function scenarioNames(raw: string): string[] {
  const lines = raw.replace(/\r\n?/g, "\n").split("\n");
  const mask = fenceMask(lines);
  const names: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (mask[i] || !SCENARIO_HEADER.test(lines[i]!)) continue;
    names.push(lines[i]!.replace(SCENARIO_HEADER, "").replace(/[ \t]+#+[ \t]*$/, "").replace(/^Scenario:\s*/i, "").trim());
  }
  return names;
}

export interface ScenarioDiff {
  missing: string[];
  added: string[];
  currentCount: number;
  incomingCount: number;
}

/** Scenario names in both directions, counting repeats (archive's scenario-loss rule). */
export function diffScenarioNames(current: Block, incoming: Block): ScenarioDiff {
  const a = scenarioNames(current.raw);
  const b = scenarioNames(incoming.raw);
  const unmatched = (names: string[], against: string[]) => {
    const left = new Map<string, number>();
    for (const n of against) left.set(n, (left.get(n) ?? 0) + 1);
    return names.filter((n) => {
      const k = left.get(n) ?? 0;
      if (k > 0) left.set(n, k - 1);
      return k === 0;
    });
  };
  return { missing: unmatched(a, b), added: unmatched(b, a), currentCount: a.length, incomingCount: b.length };
}

export function describeScenarioBalance(diff: ScenarioDiff): string {
  const count = (n: number) => `${n} ${n === 1 ? "scenario" : "scenarios"}`;
  const scale = `The modified block has ${count(diff.incomingCount)}; the current spec has ${count(diff.currentCount)}.`;
  if (diff.added.length === 0) return `${scale} It adds none.`;
  const listed = diff.added.slice(0, 3).map((n) => `"${n}"`).join(", ");
  const rest = diff.added.length - 3;
  return `${scale} It adds ${count(diff.added.length)} not in the current spec: ${rest > 0 ? `${listed} and ${rest} more` : listed}.`;
}
