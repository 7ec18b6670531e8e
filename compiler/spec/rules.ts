import type { DiagnosticSink } from "./diagnostics.js";
import { LEVELS, type Level } from "../../lib/levels.js";
import { metadataValue, type Requirement, type SpecDocument } from "./model.js";
import { readSteps } from "./steps.js";
import { RULES } from "./rules/index.js";
import { en18031Ids } from "./rules/en18031-unknown.js";
import { STATUSES } from "./rules/limits.js";
import type { ChangeView, CheckedRequirement, CheckedScenario, DeltaContext, Report, Rule, RuleSet } from "./rules/types.js";

export type { ChangeView, CheckedRequirement, DeltaContext, RuleSet } from "./rules/types.js";

export interface RuleContext {
  sink: DiagnosticSink;
  source: string;
  rules: RuleSet;
  en18031: ReadonlySet<string>;
}

/** The rules of compiler/spec/rules/ this pass runs: ours, or under OpenSpec's set only the core structure. */
const ACTIVE: Record<RuleSet, readonly Rule[]> = {
  atomicnix: RULES.filter((r) => r.set === "atomicnix"),
  openspec: RULES.filter((r) => r.set === "atomicnix" && r.core),
};

function reporter(sink: DiagnosticSink, rule: Rule): Report {
  return (at, message, severity = rule.severity) => sink.report(rule.id, at, message, severity);
}

/**
 * What a requirement block says, read without judging it: the findings are the
 * rules' business, and a value a rule rejects is simply left out here.
 */
function readRequirement(req: Requirement, ctx: RuleContext): CheckedRequirement {
  const ours = ctx.rules === "atomicnix";
  const checked: CheckedRequirement = { name: req.name, status: "implemented", en18031: [], scenarios: [], line: req.at.line };
  if (ours) {
    checked.id = metadataValue(req.metadata, "ID")?.value;
    const en = metadataValue(req.metadata, "EN18031");
    if (en) checked.en18031 = en18031Ids(en, ctx.en18031);
    const status = metadataValue(req.metadata, "Status");
    if (status && (STATUSES as readonly string[]).includes(status.value)) checked.status = status.value as CheckedRequirement["status"];
  }
  for (const sc of req.scenarios) {
    const out: CheckedScenario = { name: sc.name, steps: [], line: sc.at.line };
    checked.scenarios.push(out);
    if (!ours || !sc.rawText) continue;
    out.id = metadataValue(sc.metadata, "ID")?.value;
    const level = metadataValue(sc.metadata, "Level");
    if (level && (LEVELS as readonly string[]).includes(level.value)) out.level = level.value as Level;
    const step = metadataValue(sc.metadata, "Plan-Step");
    if (step && /^\d+\.\d+$/.test(step.value)) out.planStep = step.value;
    out.steps = readSteps(sc);
  }
  return checked;
}

/** Checks one requirement block; shared by main specs and the ADDED/MODIFIED blocks of deltas. */
export function checkRequirement(req: Requirement, ctx: RuleContext): CheckedRequirement {
  const checked = readRequirement(req, ctx);
  for (const rule of ACTIVE[ctx.rules]) {
    const { requirement, scenario } = rule.check;
    if (!requirement && !scenario) continue;
    const report = reporter(ctx.sink, rule);
    requirement?.(req, report, { checked, en18031: ctx.en18031 });
    if (scenario) req.scenarios.forEach((sc, i) => scenario(sc, report, { requirement: checked, scenario: checked.scenarios[i]! }));
  }
  return checked;
}

/** Checks a capability's main spec: structure plus every requirement. */
export function checkMainSpec(doc: SpecDocument, ctx: RuleContext): CheckedRequirement[] {
  for (const rule of ACTIVE[ctx.rules]) rule.check.spec?.(doc, reporter(ctx.sink, rule));
  return doc.requirements.map((req) => checkRequirement(req, ctx));
}

/** Runs the delta rules on one parsed delta spec (its ADDED/MODIFIED blocks already went through checkRequirement). */
export function checkDelta(doc: SpecDocument, sink: DiagnosticSink, rules: RuleSet, ctx: DeltaContext): void {
  for (const rule of ACTIVE[rules]) rule.check.delta?.(doc, reporter(sink, rule), ctx);
}

/** Runs the change rules; `sink` is the change's proposal.md. */
export function checkChangeRules(change: ChangeView, sink: DiagnosticSink, rules: RuleSet): void {
  for (const rule of ACTIVE[rules]) rule.check.change?.(change, reporter(sink, rule));
}
