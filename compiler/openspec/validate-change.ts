import { readdirSync, readFileSync, type Dirent } from "node:fs";
import { isFile } from "../fs/is-file.js";
import { join } from "node:path";
import { describeScenarioBalance, diffScenarioNames, foldName, normalizeName, parseDeltaSpec, requirementsSection, type Block, type DeltaPlan } from "./blocks.js";
import { containsShallOrMust, requirementBody } from "./lines.js";
import { missingShallMessage, MSG, type Issue } from "./messages.js";
import { taskIssues } from "./tasks.js";
import { countScenarios, mainSpecStructureIssues } from "./validate-spec.js";

export interface SpecFileEntry {
  /** capability path below specs/, e.g. `auth` or `area/auth` */
  id: string;
  file: string;
}

const code = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (code(e) === "ENOENT" || code(e) === "ENOTDIR") return [];
    throw e;
  }
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every `spec.md` below a specs root, at any depth (nested `specs/<area>/<cap>/spec.md`
 * too), as OpenSpec discovers them: dot entries skipped, symlinked folders not
 * followed, a symlinked spec.md read when it points at a file, a root spec.md and
 * anything that is not a file (a folder named spec.md is a capability folder) ignored.
 */
export function discoverSpecFiles(root: string, skipTop: ReadonlySet<string> = new Set()): SpecFileEntry[] {
  const out: SpecFileEntry[] = [];
  const walk = (dir: string, segments: string[]) => {
    for (const e of entries(dir)) {
      if (e.name.startsWith(".")) continue;
      if (segments.length === 0 && skipTop.has(e.name)) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path, [...segments, e.name]);
      else if (e.name === "spec.md" && segments.length > 0 && (e.isFile() || (e.isSymbolicLink() && isFile(path)))) out.push({ id: segments.join("/"), file: path });
    }
  };
  walk(root, []);
  return out.sort((a, b) => byCodePoint(a.id, b.id));
}

function unreadDeltaFiles(specsDir: string): { path: string; expected: string }[] {
  const out: { path: string; expected: string }[] = [];
  const walk = (dir: string, segments: string[]) => {
    for (const e of entries(dir)) {
      if (e.name.startsWith(".")) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        walk(path, [...segments, e.name]);
        continue;
      }
      if (!e.isFile() && !e.isSymbolicLink()) continue;
      if (e.name === "spec.md" || !e.name.toLowerCase().endsWith(".md")) continue;
      if (e.isSymbolicLink() && !isFile(path)) continue;
      const plan = parseDeltaSpec(readFileSync(path, "utf8"));
      if (!Object.values(plan.presence).some(Boolean)) continue;
      const capability = segments.length > 0 ? segments.join("/") : e.name.slice(0, -3);
      out.push({ path: [...segments, e.name].join("/"), expected: `${capability}/spec.md` });
    }
  };
  walk(specsDir, []);
  return out.sort((a, b) => byCodePoint(a.path, b.path));
}

function hasAnyFileUnder(dir: string): boolean {
  for (const e of entries(dir)) {
    if (e.name.startsWith(".")) continue;
    if (e.isFile() || e.isSymbolicLink()) return true;
    if (e.isDirectory() && hasAnyFileUnder(join(dir, e.name))) return true;
  }
  return false;
}

/** `skip_specs: true` in the change's .openspec.yaml. */
function skipSpecsDeclared(changeDir: string): boolean {
  try {
    return /^skip_specs:\s*true\s*(#.*)?$/m.test(readFileSync(join(changeDir, ".openspec.yaml"), "utf8"));
  } catch {
    return false;
  }
}

const MARKERS = [".openspec.yaml", "proposal.md", "tasks.md", "design.md"];

function looksLikeChange(dir: string): boolean {
  if (MARKERS.some((m) => isFile(join(dir, m)))) return true;
  try {
    return hasAnyFileUnder(join(dir, "specs"));
  } catch {
    return false;
  }
}

/** A folder under changes/ that wraps change folders instead of being one: OpenSpec reports it. */
export function nestedChangeIssue(changesDir: string, name: string): Issue | undefined {
  const dir = join(changesDir, name);
  if (looksLikeChange(dir)) return undefined;
  let own: Dirent[];
  try {
    own = readdirSync(dir, { withFileTypes: true });
  } catch {
    own = [];
  }
  if (own.some((e) => !e.name.startsWith(".") && !e.isDirectory())) return undefined;
  const nested: string[] = [];
  const collect = (d: string, prefix: string, depth: number) => {
    if (depth > 3) return;
    let subs: Dirent[] = [];
    try {
      subs = readdirSync(d, { withFileTypes: true });
    } catch {
      subs = [];
    }
    for (const e of subs) {
      if (!e.isDirectory() || e.name.startsWith(".")) continue;
      const id = `${prefix}/${e.name}`;
      if (looksLikeChange(join(d, e.name))) nested.push(id);
      else collect(join(d, e.name), id, depth + 1);
    }
  };
  collect(dir, name, 1);
  if (nested.length === 0) return undefined;
  nested.sort();
  const list = nested.map((id) => `openspec/changes/${id}/`).join(", ");
  return {
    level: "ERROR",
    rule: "os-change-nested",
    path: "file",
    message:
      `"${name}" is not a change: it is a folder wrapping ${list}. A change must be a directory directly under openspec/changes/, so those nested directories are invisible to OpenSpec while the folder around them is reported as a change. ` +
      `Nested paths are supported under openspec/specs/ only. Rename each nested change to a flat name (for example "${nested[0]!.split("/").join("-")}").`,
  };
}

function deltaChecks(plan: DeltaPlan, entryPath: string, mainSpec: string | undefined, issues: Issue[]): number {
  const at = (line?: number) => ({ file: `specs/${entryPath}`, ...(line ? { line } : {}) });
  let deltas = 0;
  for (const s of plan.skippedHeaders) {
    const nameless = /^requirement:?$/i.test(s.header);
    issues.push({
      level: "INFO",
      rule: "os-delta-skipped-header",
      path: entryPath,
      ...at(s.line),
      message: nameless
        ? `Header "### ${s.header}" in ${s.section} is missing a requirement name and is ignored by validation. Add a name, e.g. "### Requirement: <name>".`
        : `Header "### ${s.header}" in ${s.section} is not a "### Requirement:" header and is ignored by validation. Use "### Requirement: ${s.header}" if it should be validated as a requirement.`,
    });
  }
  for (const u of plan.unpairedRenames) {
    issues.push({ level: "ERROR", rule: "os-rename-unpaired", path: entryPath, ...at(u.line), message: `RENAMED ${u.side}: "${u.name}" has no matching ${u.side === "FROM" ? "TO" : "FROM"}: line. Write each rename as a FROM: line followed immediately by its TO: line.` });
  }
  for (const o of plan.orphans) {
    const where = o.section ? `under "## ${o.section}"` : 'above the first "## " section';
    issues.push({ level: "WARNING", rule: "os-delta-orphan", path: entryPath, ...at(o.line), message: `Requirement "${o.name}" is ${where}, which is not a delta section, so it is ignored. Move it under "## ADDED Requirements", "## MODIFIED Requirements", "## REMOVED Requirements", or "## RENAMED Requirements".` });
  }
  const names = { added: new Set<string>(), modified: new Set<string>(), removed: new Set<string>(), from: new Set<string>(), to: new Set<string>() };
  const checkBlock = (op: "ADDED" | "MODIFIED", block: Block, seen: Set<string>) => {
    const key = normalizeName(block.name);
    deltas++;
    if (seen.has(key)) issues.push({ level: "ERROR", rule: "os-delta-duplicate", path: entryPath, ...at(block.line), message: `Duplicate requirement in ${op}: "${block.name}"` });
    else seen.add(key);
    const text = requirementBody(block.raw.split("\n").slice(1));
    if (!text) {
      issues.push({ level: "ERROR", rule: "os-requirement-text", path: entryPath, ...at(block.line), message: containsShallOrMust(block.name) ? missingShallMessage(`${op} "${block.name}"`, block.name) : `${op} "${block.name}" is missing requirement text` });
    } else if (!containsShallOrMust(text)) {
      issues.push({ level: "WARNING", rule: "os-requirement-shall", path: entryPath, ...at(block.line), message: missingShallMessage(`${op} "${block.name}"`, block.name, true) });
    }
    const count = countScenarios(block.raw);
    if (count.real < 1) {
      const hint = count.empty > 0 ? ' (a scenario header with no body under it does not count; add its steps, e.g. "- **WHEN** ..." and "- **THEN** ...")' : "";
      issues.push({ level: "ERROR", rule: "os-requirement-scenario", path: entryPath, ...at(block.line), message: `${op} "${block.name}" must include at least one scenario${hint}` });
    }
  };
  for (const b of plan.added) checkBlock("ADDED", b, names.added);
  for (const b of plan.modified) checkBlock("MODIFIED", b, names.modified);
  if (mainSpec !== undefined && plan.modified.length > 0) issues.push(...scenarioLoss(plan, mainSpec, entryPath));
  for (const r of plan.removed) {
    const key = normalizeName(r.name);
    deltas++;
    if (names.removed.has(key)) issues.push({ level: "ERROR", rule: "os-delta-duplicate", path: entryPath, ...at(r.line), message: `Duplicate requirement in REMOVED: "${r.name}"` });
    else names.removed.add(key);
  }
  for (const r of plan.renamed) {
    deltas++;
    const from = normalizeName(r.from);
    const to = normalizeName(r.to);
    if (names.from.has(from)) issues.push({ level: "ERROR", rule: "os-delta-duplicate", path: entryPath, ...at(r.line), message: `Duplicate FROM in RENAMED: "${r.from}"` });
    else names.from.add(from);
    if (names.to.has(to)) issues.push({ level: "ERROR", rule: "os-delta-duplicate", path: entryPath, ...at(r.line), message: `Duplicate TO in RENAMED: "${r.to}"` });
    else names.to.add(to);
  }
  for (const n of names.modified) {
    if (names.removed.has(n)) issues.push({ level: "ERROR", rule: "os-delta-conflict", path: entryPath, ...at(), message: `Requirement present in both MODIFIED and REMOVED: "${n}"` });
    if (names.added.has(n)) issues.push({ level: "ERROR", rule: "os-delta-conflict", path: entryPath, ...at(), message: `Requirement present in both MODIFIED and ADDED: "${n}"` });
  }
  for (const n of names.added) if (names.removed.has(n)) issues.push({ level: "ERROR", rule: "os-delta-conflict", path: entryPath, ...at(), message: `Requirement present in both ADDED and REMOVED: "${n}"` });
  for (const r of plan.renamed) {
    const from = normalizeName(r.from);
    if (names.modified.has(from)) issues.push({ level: "ERROR", rule: "os-delta-conflict", path: entryPath, ...at(r.line), message: `MODIFIED references old name from RENAMED. Use new header for "${r.to}"` });
    if (names.added.has(normalizeName(r.to))) issues.push({ level: "ERROR", rule: "os-delta-conflict", path: entryPath, ...at(r.line), message: `RENAMED TO collides with ADDED for "${r.to}"` });
    const fold = [...names.removed].find((x) => foldName(x) === foldName(from));
    if (fold !== undefined) issues.push({ level: "ERROR", rule: "os-delta-conflict", path: entryPath, ...at(r.line), message: `Requirement present in both RENAMED and REMOVED: "${r.from}"${fold === from ? "" : ` (REMOVED spells it "${fold}")`}` });
  }
  return deltas;
}

function scenarioLoss(plan: DeltaPlan, mainSpec: string, entryPath: string): Issue[] {
  const current = new Map(requirementsSection(mainSpec).blocks.map((b) => [normalizeName(b.name), b]));
  const renamedFrom = new Map(plan.renamed.map((r) => [normalizeName(r.to), normalizeName(r.from)]));
  const renamedAway = new Set(plan.renamed.map((r) => normalizeName(r.from)));
  const lookup = (name: string) => {
    const visited = new Set<string>();
    let key: string | undefined = name;
    while (key !== undefined && !visited.has(key)) {
      const b = current.get(key);
      if (b) return b;
      visited.add(key);
      key = renamedFrom.get(key);
    }
    return undefined;
  };
  const out: Issue[] = [];
  for (const block of plan.modified) {
    const key = normalizeName(block.name);
    if (renamedAway.has(key)) continue;
    const cur = lookup(key);
    if (!cur) continue;
    const diff = diffScenarioNames(cur, block);
    if (diff.missing.length === 0) continue;
    out.push({
      level: "ERROR",
      rule: "os-scenario-loss",
      path: entryPath,
      file: `specs/${entryPath}`,
      line: block.line,
      message: `MODIFIED "${block.name}" omits scenario(s) the current spec still has: ${diff.missing.map((n) => `"${n}"`).join(", ")}. ${describeScenarioBalance(diff)} Copy the omitted scenarios into the MODIFIED block (a MODIFIED requirement replaces the whole block, so archive refuses to drop them).`,
    });
  }
  return out;
}

/** The first refusal `openspec archive` would raise merging this delta, or undefined (reported as INFO, never a failure). */
function archiveRefusal(id: string, plan: DeltaPlan, mainSpec: string | undefined): string | undefined {
  if (plan.unpairedRenames.length > 0) return `${id} validation failed - RENAMED entry on line ${plan.unpairedRenames[0]!.line} has no matching ${plan.unpairedRenames[0]!.side === "FROM" ? "TO" : "FROM"}`;
  if (mainSpec === undefined) {
    if (plan.modified.length > 0 || plan.renamed.length > 0) return `${id}: target spec does not exist; only ADDED requirements are allowed for new specs. MODIFIED and RENAMED operations require an existing spec.`;
    return undefined;
  }
  const structure = mainSpecStructureIssues(mainSpec);
  if (structure.length > 0) return `${id}: target spec is structurally invalid and cannot be updated until fixed:\n${structure.map((s) => `line ${s.line}: ${s.message}`).join("\n")}`;
  const blocks = new Map(requirementsSection(mainSpec).blocks.map((b) => [normalizeName(b.name), b]));
  const nearMiss = (name: string, except?: string) => [...blocks.keys()].find((k) => k !== except && foldName(k) === foldName(name));
  for (const r of plan.renamed) {
    const from = normalizeName(r.from);
    const to = normalizeName(r.to);
    if (!blocks.has(from)) {
      if (blocks.has(to)) {
        const miss = nearMiss(from, to);
        if (miss !== undefined) return `${id} RENAMED failed for header "### Requirement: ${r.from}" - source not found, but "### Requirement: ${blocks.get(miss)!.name}" exists; fix the header to match it exactly`;
        continue;
      }
      return `${id} RENAMED failed for header "### Requirement: ${r.from}" - source not found`;
    }
    if (blocks.has(to)) return `${id} RENAMED failed for header "### Requirement: ${r.to}" - target already exists`;
    const miss = nearMiss(to, from);
    if (miss !== undefined) return `${id} RENAMED failed for header "### Requirement: ${r.to}" - "### Requirement: ${blocks.get(miss)!.name}" already exists and differs only in case or spacing; choose a distinct name`;
    const b = blocks.get(from)!;
    blocks.delete(from);
    blocks.set(to, { ...b, name: to });
  }
  for (const r of plan.removed) {
    const key = normalizeName(r.name);
    if (blocks.has(key)) {
      blocks.delete(key);
      continue;
    }
    const miss = nearMiss(key);
    if (miss !== undefined) return `${id} REMOVED failed for header "### Requirement: ${r.name}" - not found, but "### Requirement: ${blocks.get(miss)!.name}" exists; fix the header to match it exactly`;
  }
  for (const m of plan.modified) {
    const key = normalizeName(m.name);
    if (!blocks.has(key)) return `${id} MODIFIED failed for header "### Requirement: ${m.name}" - not found`;
    blocks.set(key, m);
  }
  for (const a of plan.added) {
    const key = normalizeName(a.name);
    const existing = blocks.get(key);
    if (existing) {
      if (existing.raw.trim() === a.raw.replace(/\r\n?/g, "\n").trim()) continue;
      return `${id} ADDED failed for header "### Requirement: ${a.name}" - already exists`;
    }
    const miss = nearMiss(key);
    if (miss !== undefined) return `${id} ADDED failed for header "### Requirement: ${a.name}" - "### Requirement: ${blocks.get(miss)!.name}" already exists and differs only in case or spacing; use MODIFIED with that exact header to change it, or choose a distinct name`;
    blocks.set(key, a);
  }
  return undefined;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if (["ENOENT", "ENOTDIR", "EISDIR"].includes(code(e) ?? "")) return undefined;
    throw e;
  }
}

/** `openspec validate --strict` on one active change: delta specs, archive conflicts (INFO), task files. */
export function validateChangeDir(changeDir: string, mainSpecsDir: string, projectRoot: string): Issue[] {
  const issues: Issue[] = [];
  const specsDir = join(changeDir, "specs");
  let total = 0;
  const missingHeader: string[] = [];
  const emptySections: { path: string; sections: string[] }[] = [];
  const rootSpec = isFile(join(specsDir, "spec.md"));
  if (rootSpec) {
    issues.push({ level: "ERROR", rule: "os-delta-misplaced", path: "spec.md", file: "specs/spec.md", message: "Delta spec found at specs/spec.md. Delta specs must live under a capability path (e.g. specs/<capability-path>/spec.md) — a file at the specs/ root is ignored when the change is applied or archived." });
  }
  const plans: { id: string; entryPath: string; plan: DeltaPlan; main: string | undefined }[] = [];
  for (const { id, file } of discoverSpecFiles(specsDir)) {
    const content = readOptional(file);
    if (content === undefined) continue;
    const plan = parseDeltaSpec(content);
    const entryPath = `${id}/spec.md`;
    const main = readOptional(join(mainSpecsDir, ...id.split("/"), "spec.md"));
    const sections = (["added", "modified", "removed", "renamed"] as const).filter((k) => plan.presence[k]).map((k) => `## ${k.toUpperCase()} Requirements`);
    if (plan.added.length + plan.modified.length + plan.removed.length + plan.renamed.length === 0) {
      if (sections.length > 0) emptySections.push({ path: entryPath, sections });
      else missingHeader.push(entryPath);
    }
    total += deltaChecks(plan, entryPath, main, issues);
    plans.push({ id, entryPath, plan, main });
  }
  const reported = new Set([...issues.filter((i) => i.level === "ERROR").map((i) => i.path), ...missingHeader, ...emptySections.map((s) => s.path)]);
  for (const p of plans) {
    if (reported.has(p.entryPath)) continue;
    const refusal = archiveRefusal(p.id, p.plan, p.main);
    if (refusal) issues.push({ level: "INFO", rule: "os-archive-refusal", path: p.entryPath, file: `specs/${p.entryPath}`, message: `Archive would refuse this delta: ${refusal}` });
  }
  const unread = unreadDeltaFiles(specsDir);
  for (const f of unread) {
    issues.push({ level: "ERROR", rule: "os-delta-misplaced", path: f.path, file: `specs/${f.path}`, message: `Delta spec found at specs/${f.path}. Delta specs must be a spec.md inside a capability folder — this file is ignored when the change is applied or archived. Move its requirements into specs/${f.expected}.` });
  }
  for (const s of emptySections) {
    const list = s.sections.length === 1 ? s.sections[0]! : `${s.sections.slice(0, -1).join(", ")} and ${s.sections[s.sections.length - 1]}`;
    issues.push({ level: "ERROR", rule: "os-delta-empty", path: s.path, file: `specs/${s.path}`, message: `Delta sections ${list} were found, but no requirement entries parsed. Ensure each section includes at least one "### Requirement:" block (REMOVED may use bullet list syntax).` });
  }
  for (const p of missingHeader) issues.push({ level: "ERROR", rule: "os-delta-none", path: p, file: `specs/${p}`, message: 'No delta sections found. Add headers such as "## ADDED Requirements" or move non-delta notes outside specs/.' });
  const skip = skipSpecsDeclared(changeDir);
  let specsHaveFiles = false;
  if (skip) {
    try {
      specsHaveFiles = hasAnyFileUnder(specsDir);
    } catch {
      specsHaveFiles = true;
    }
    if (specsHaveFiles) issues.push({ level: "ERROR", rule: "os-skip-specs", path: "file", message: MSG.SKIP_SPECS_CONFLICT });
  }
  if (total === 0 && !rootSpec && unread.length === 0) {
    if (skip && !specsHaveFiles) issues.push({ level: "INFO", rule: "os-skip-specs", path: "file", message: MSG.SKIP_SPECS_ACCEPTED });
    else if (!skip) issues.push({ level: "ERROR", rule: "os-change-no-deltas", path: "file", message: `${MSG.CHANGE_NO_DELTAS}. ${MSG.GUIDE_NO_DELTAS}` });
  }
  issues.push(...taskIssues(changeDir, projectRoot));
  return issues;
}

