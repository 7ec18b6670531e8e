import type { DiagnosticSink } from "./diagnostics.js";
import { LEVELS, type Level } from "../../lib/levels.js";
import { metadataValue, type Requirement, type SpecDocument, type Step } from "./model.js";
import type { MetadataEntry } from "./metadata.js";
import { readSteps } from "./steps.js";

export const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$/;
export const MIN_PURPOSE_LENGTH = 50;
export const MAX_REQUIREMENT_TEXT_LENGTH = 500;
const REQUIREMENT_KEYS = new Set(["id", "en18031", "status", "priority"]);
const SCENARIO_KEYS = new Set(["id", "level", "plan-step"]);
const STATUSES = ["planned", "implemented"] as const;

/** Which of our own rules apply: `openspec` checks only what the OpenSpec CLI checks. */
export type RuleSet = "atomicnix" | "openspec";

export interface CheckedScenario {
  id?: string;
  name: string;
  level?: Level;
  planStep?: string;
  steps: Step[];
  line: number;
}

export interface CheckedRequirement {
  id?: string;
  name: string;
  status: "planned" | "implemented";
  en18031: string[];
  scenarios: CheckedScenario[];
  line: number;
}

export interface RuleContext {
  sink: DiagnosticSink;
  source: string;
  rules: RuleSet;
  en18031: ReadonlySet<string>;
}

function checkKeys(entries: readonly MetadataEntry[], allowed: ReadonlySet<string>, where: string, ctx: RuleContext): void {
  const seen = new Set<string>();
  for (const e of entries) {
    const key = e.key.toLowerCase();
    if (!allowed.has(key)) ctx.sink.report("metadata-unknown", e.at, `unknown ${where} metadata "${e.key}"; allowed: ${[...allowed].join(", ")}`);
    else if (seen.has(key)) ctx.sink.report("metadata-unknown", e.at, `"${e.key}" is given twice`);
    seen.add(key);
  }
}

function readId(entries: readonly MetadataEntry[], what: string, at: { line: number; column: number }, ctx: RuleContext): string | undefined {
  const entry = metadataValue(entries, "ID");
  if (!entry) {
    ctx.sink.report("id-missing", at, `${what} has no **ID**: line`);
    return undefined;
  }
  if (!ID_PATTERN.test(entry.value)) {
    ctx.sink.report("id-format", entry.at, `ID "${entry.value}" must be lower-case words ([a-z0-9] and inner "-") joined by ".", at least two words`);
  }
  return entry.value;
}

/** Checks one requirement block; shared by main specs and the ADDED/MODIFIED blocks of deltas. */
export function checkRequirement(req: Requirement, ctx: RuleContext): CheckedRequirement {
  const { sink } = ctx;
  const ours = ctx.rules === "atomicnix";
  if (!req.prefixed) sink.report("requirement-header", req.at, `"### ${req.name}" under Requirements must read "### Requirement: <name>"`);
  else if (!req.name) sink.report("requirement-header", req.at, "requirement header has no name (### Requirement: <name>)");
  if (!req.text) {
    sink.report("requirement-shall", req.at, `requirement "${req.name}" has no text`);
  } else {
    if (!/\b(SHALL|MUST)\b/.test(req.text)) sink.report("requirement-shall", req.textAt, `requirement "${req.name}" must contain SHALL or MUST`);
    if (req.text.length > MAX_REQUIREMENT_TEXT_LENGTH) {
      sink.report("requirement-length", req.textAt, `requirement text is ${req.text.length} characters; keep it under ${MAX_REQUIREMENT_TEXT_LENGTH} (OpenSpec flags longer text) and move detail into scenarios`, "warning");
    }
  }
  if (req.scenarios.length === 0) sink.report("requirement-scenario", req.at, `requirement "${req.name}" has no scenario (#### Scenario: ...)`);

  const checked: CheckedRequirement = { name: req.name, status: "implemented", en18031: [], scenarios: [], line: req.at.line };
  if (ours) {
    checkKeys(req.metadata, REQUIREMENT_KEYS, "requirement", ctx);
    checked.id = readId(req.metadata, `requirement "${req.name}"`, req.at, ctx);
    const en = metadataValue(req.metadata, "EN18031");
    if (!en) sink.report("en18031-missing", req.at, `requirement "${req.name}" has no **EN18031**: line (list Part-1 IDs or write none)`);
    else if (en.value.toLowerCase() !== "none") {
      for (const raw of en.value.split(",")) {
        const id = raw.replace(/`/g, "").trim();
        if (!ctx.en18031.has(id)) sink.report("en18031-unknown", en.at, `"${id}" is not an EN 18031-1 requirement ID (see specs/en18031-part1.json)`);
        else if (checked.en18031.includes(id)) sink.report("en18031-unknown", en.at, `"${id}" is listed twice`);
        else checked.en18031.push(id);
      }
      if (checked.en18031.length === 0 && !en.value.trim()) sink.report("en18031-missing", en.at, "EN18031 is empty: list Part-1 IDs or write none");
    }
    const status = metadataValue(req.metadata, "Status");
    if (status) {
      if ((STATUSES as readonly string[]).includes(status.value)) checked.status = status.value as CheckedRequirement["status"];
      else sink.report("metadata-unknown", status.at, `Status must be one of ${STATUSES.join(", ")}`);
    }
  }
  for (const sc of req.scenarios) {
    const out: CheckedScenario = { name: sc.name, steps: [], line: sc.at.line };
    checked.scenarios.push(out);
    if (ours && !sc.prefixed) sink.report("scenario-header", sc.at, `"#### ${sc.name}" must read "#### Scenario: <name>"`);
    if (!sc.rawText) {
      sink.report("scenario-empty", sc.at, `scenario "${sc.name}" is empty`);
      continue;
    }
    if (!ours) continue;
    checkKeys(sc.metadata, SCENARIO_KEYS, "scenario", ctx);
    out.id = readId(sc.metadata, `scenario "${sc.name}"`, sc.at, ctx);
    if (out.id && checked.id && (!out.id.startsWith(checked.id + ".") || out.id.split(".").length !== checked.id.split(".").length + 1)) {
      sink.report("id-prefix", sc.at, `scenario ID "${out.id}" must be its requirement's ID "${checked.id}" plus one more word`);
    }
    const level = metadataValue(sc.metadata, "Level");
    if (!level) sink.report("level-missing", sc.at, `scenario "${sc.name}" has no **Level**: line (${LEVELS.join(", ")})`);
    else if (!(LEVELS as readonly string[]).includes(level.value)) sink.report("level-invalid", level.at, `level "${level.value}" is not one of ${LEVELS.join(", ")}`);
    else out.level = level.value as Level;
    const step = metadataValue(sc.metadata, "Plan-Step");
    if (step) {
      if (/^\d+\.\d+$/.test(step.value)) out.planStep = step.value;
      else sink.report("metadata-unknown", step.at, `Plan-Step "${step.value}" must look like 3.2`);
    }
    out.steps = readSteps(sc, sink);
  }
  return checked;
}

/** Checks a capability's main spec: structure plus every requirement. */
export function checkMainSpec(doc: SpecDocument, ctx: RuleContext): CheckedRequirement[] {
  const { sink } = ctx;
  const top = { line: 1, column: 1 };
  if (!doc.purpose) sink.report("spec-structure", top, 'missing "## Purpose" section');
  else if (doc.purpose.text.length < MIN_PURPOSE_LENGTH) {
    sink.report("spec-structure", doc.purpose.at, `Purpose is ${doc.purpose.text.length} characters; OpenSpec (strict) wants at least ${MIN_PURPOSE_LENGTH}`);
  } else if (/^TBD\b|\bTODO\b/.test(doc.purpose.text)) {
    sink.report("spec-structure", doc.purpose.at, "Purpose is still a placeholder");
  }
  if (!doc.requirementsSection) sink.report("spec-structure", top, 'missing "## Requirements" section');
  else if (doc.requirements.length === 0) sink.report("spec-structure", doc.requirementsSection.at, "spec has no requirements");
  if (doc.deltas.length > 0) sink.report("spec-structure", doc.deltas[0]!.at, "delta sections (ADDED/MODIFIED/...) belong in a change, not in a main spec");
  const names = new Map<string, number>();
  const out: CheckedRequirement[] = [];
  for (const req of doc.requirements) {
    const key = req.name.toLowerCase();
    const prev = names.get(key);
    if (prev !== undefined) sink.report("requirement-name-unique", req.at, `duplicate requirement "${req.name}" (first at line ${prev})`);
    else names.set(key, req.at.line);
    out.push(checkRequirement(req, ctx));
  }
  return out;
}
