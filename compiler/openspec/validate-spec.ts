import { memoByText, normalizeName, requirementsSection } from "./blocks.js";
import { containsShallOrMust, fenceMask, findSection, hasBody, normalizeText, parseSections, requirementBody, scenarioBodies } from "./lines.js";
import { MAX_REQUIREMENT_TEXT_LENGTH, MIN_PURPOSE_LENGTH, missingShallMessage, MSG, type Issue } from "./messages.js";

const DELTA_HEADER = /^##\s+(ADDED|MODIFIED|REMOVED|RENAMED)\s+Requirements\s*$/i;
const REQ_HEADER_STRICT = /^###\s+Requirement:\s*(.+)\s*$/i;

/** OpenSpec's structural findings on a main spec: delta headers, requirements outside `## Requirements`, duplicate names. */
export const mainSpecStructureIssues = memoByText(readStructureIssues);

function readStructureIssues(content: string): { line: number; message: string }[] {
  const raw = content.replace(/\r\n?/g, "\n").split("\n");
  const mask = fenceMask(raw);
  const lines = raw.map((l, i) => (mask[i] ? "" : l));
  const issues: { line: number; message: string }[] = [];
  const start = lines.findIndex((l) => /^##\s+Requirements\s*$/i.test(l));
  let end = lines.length;
  if (start !== -1) {
    for (let i = start + 1; i < lines.length; i++) {
      if (/^##\s+/.test(lines[i]!)) {
        end = i;
        break;
      }
    }
  }
  const seen = new Map<string, number>();
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed) return;
    if (DELTA_HEADER.test(line)) {
      issues.push({ line: i + 1, message: `Main spec contains delta header "${trimmed}". Delta headers are only valid inside openspec/changes/<name>/specs/<capability-path>/spec.md and truncate the parsed ## Requirements section.` });
      return;
    }
    const m = REQ_HEADER_STRICT.exec(line);
    if (!m) return;
    if (!(start !== -1 && i > start && i < end)) {
      issues.push({ line: i + 1, message: `Requirement header "${trimmed}" appears outside the main ## Requirements section. Main specs only parse requirements inside that section, so this requirement is currently invisible to validate, list, and archive.` });
      return;
    }
    const name = normalizeName(m[1]!);
    const prev = seen.get(name);
    if (prev !== undefined) issues.push({ line: i + 1, message: `Requirement header "${trimmed}" duplicates the requirement declared on line ${prev}. Requirement names must be unique so spec updates cannot discard one block while updating another.` });
    else seen.set(name, i + 1);
  });
  return issues;
}

const WORD_END = "(?![\\p{L}\\p{N}\\p{M}_])";
const SHOUTED = new RegExp(`^(?:TBD|TODO)${WORD_END}`, "u");
const PUNCTUATED = new RegExp(`^(?:TBD|TODO)${WORD_END}(?=[ \\t]*(?:$|\\n|[:\\-\u2013\u2014.,;()\\[\\]{}]))`, "iu");

function placeholderPrefixAt(text: string): number | undefined {
  let suffixAt = text.indexOf(MSG.PLACEHOLDER_SUFFIX);
  while (suffixAt !== -1) {
    const prefixAt = text.lastIndexOf(MSG.PLACEHOLDER_PREFIX, suffixAt);
    if (prefixAt !== -1) return prefixAt;
    suffixAt = text.indexOf(MSG.PLACEHOLDER_SUFFIX, suffixAt + 1);
  }
  return undefined;
}

/** A TBD/TODO opening the Purpose, or the sentence `openspec archive` writes; the line of the placeholder when it can be located. */
function purposePlaceholder(overview: string, content: string): { line?: number } | null {
  const ol = overview.replace(/\r\n?/g, "\n").split("\n");
  const om = fenceMask(ol);
  const prose = ol.filter((_, i) => !om[i]).join("\n").trim();
  const leading = SHOUTED.test(prose) || PUNCTUATED.test(prose);
  if (!leading && placeholderPrefixAt(prose) === undefined) return null;
  const lines = content.replace(/\r\n?/g, "\n").split("\n");
  const mask = fenceMask(lines);
  const header = lines.findIndex((l, i) => !mask[i] && /^ {0,3}##(?!#)[ \t]+Purpose[ \t]*$/i.test(l));
  if (header === -1) return {};
  const body: { line: number; text: string }[] = [];
  for (let i = header + 1; i < lines.length; i++) {
    if (mask[i]) continue;
    if (/^ {0,3}#{1,2}(?!#)[ \t]+/.test(lines[i]!)) break;
    if (leading && lines[i]!.trim()) return { line: i + 1 };
    body.push({ line: i + 1, text: lines[i]! });
  }
  if (leading) return {};
  const text = body.map((b) => b.text).join("\n");
  const at = placeholderPrefixAt(text);
  if (at === undefined) return {};
  const line = body[text.slice(0, at).split("\n").length - 1]?.line;
  return line === undefined ? {} : { line };
}

/** `openspec validate --strict` on one main spec, as a list of issues. */
export function validateSpecContent(content: string): { issues: Issue[]; requirements: number; scenarios: number } {
  const lines = normalizeText(content).split("\n");
  const mask = fenceMask(lines);
  const sections = parseSections(lines, mask);
  const purpose = findSection(sections, "Purpose")?.content ?? "";
  const reqSection = findSection(sections, "Requirements");
  if (!purpose) return { requirements: 0, scenarios: 0, issues: [{ level: "ERROR", rule: "os-purpose-missing", path: "file", message: `Spec must have a Purpose section. ${MSG.GUIDE_MISSING_SPEC_SECTIONS}` }] };
  if (!reqSection) return { requirements: 0, scenarios: 0, issues: [{ level: "ERROR", rule: "os-requirements-missing", path: "file", message: `Spec must have a Requirements section. ${MSG.GUIDE_MISSING_SPEC_SECTIONS}` }] };
  const requirements = reqSection.children.map((child) => {
    const body = requirementBody(child.content.split("\n"));
    return { line: child.line + 1, text: body || child.title.trim(), scenarios: child.children.filter((s) => hasBody(s.content)).length };
  });
  const issues: Issue[] = [];
  // Schema checks (zod in OpenSpec): at least one requirement, text, a scenario each.
  if (requirements.length === 0) issues.push({ level: "ERROR", rule: "os-no-requirements", path: "requirements", message: MSG.SPEC_NO_REQUIREMENTS, line: reqSection.line + 1 });
  requirements.forEach((r, i) => {
    if (!r.text) issues.push({ level: "ERROR", rule: "os-requirement-empty", path: `requirements.${i}.text`, message: MSG.REQUIREMENT_EMPTY, line: r.line });
    if (r.scenarios === 0) issues.push({ level: "ERROR", rule: "os-requirement-scenario", path: `requirements.${i}.scenarios`, message: MSG.REQUIREMENT_NO_SCENARIOS, line: r.line });
  });
  for (const s of mainSpecStructureIssues(content)) issues.push({ level: "ERROR", rule: "os-structure", path: "file", line: s.line, message: s.message });
  const placeholder = purposePlaceholder(purpose, content);
  if (placeholder) issues.push({ level: "WARNING", rule: "os-purpose-placeholder", path: "overview", message: MSG.PURPOSE_IS_PLACEHOLDER, ...placeholder });
  else if (purpose.length < MIN_PURPOSE_LENGTH) issues.push({ level: "WARNING", rule: "os-purpose-brief", path: "overview", message: MSG.PURPOSE_TOO_BRIEF });
  requirements.forEach((r, i) => {
    if (r.text.length > MAX_REQUIREMENT_TEXT_LENGTH) issues.push({ level: "INFO", rule: "os-requirement-length", path: `requirements[${i}]`, message: MSG.REQUIREMENT_TOO_LONG, line: r.line });
    if (r.scenarios === 0) issues.push({ level: "WARNING", rule: "os-requirement-scenario", path: `requirements[${i}].scenarios`, message: `${MSG.REQUIREMENT_NO_SCENARIOS}. ${MSG.GUIDE_SCENARIO_FORMAT}`, line: r.line });
  });
  requirementsSection(content).blocks.forEach((block, i) => {
    const text = requirementBody(block.raw.split("\n").slice(1));
    if (!text) issues.push({ level: "ERROR", rule: "os-requirement-text", path: `requirements[${i}]`, message: missingShallMessage(`Requirement "${block.name}"`, block.name), line: block.line });
    else if (!containsShallOrMust(text)) issues.push({ level: "WARNING", rule: "os-requirement-shall", path: `requirements[${i}]`, message: missingShallMessage(`Requirement "${block.name}"`, block.name, true), line: block.line });
  });
  return { issues, requirements: requirements.length, scenarios: requirements.reduce((n, r) => n + r.scenarios, 0) };
}

/** Scenario counting shared with the delta checks: a `####` header with a body. */
export function countScenarios(blockRaw: string): { real: number; empty: number } {
  const bodies = scenarioBodies(blockRaw.split("\n").slice(1));
  const real = bodies.filter(hasBody).length;
  return { real, empty: bodies.length - real };
}
