import { checkCorpus, type CheckResult } from "../corpus/check.js";
import { formatDiagnostic } from "../spec/diagnostics.js";
import type { RuleSet } from "../spec/rules.js";
import { EXIT, parse, printJson, UsageError } from "./args.js";
import { explainRule, formatRule, RULES } from "../spec/rule-catalogue.js";

/** `--explain RULE` (or `all`): what a rule checks and what OpenSpec does with the same thing. */
function explain(name: string, json: boolean): number {
  const rules = name === "all" ? [...RULES] : [explainRule(name)].filter((r) => r !== undefined);
  if (rules.length === 0) throw new UsageError(`no rule "${name}"; rules: ${RULES.map((r) => r.rule).join(", ")}`);
  if (json) printJson(name === "all" ? rules : rules[0]);
  else for (const r of rules) process.stdout.write(formatRule(r));
  return EXIT.ok;
}

/** Errors and warnings fail (like `openspec validate --strict`); info never does. */
export function checkPassed(result: CheckResult): boolean {
  return !result.diagnostics.some((d) => d.severity !== "info");
}

export function checkReport(result: CheckResult) {
  return {
    ok: checkPassed(result),
    root: result.root,
    layout: result.layout,
    rules: result.rules,
    totals: result.totals,
    files: result.files,
    diagnostics: result.diagnostics,
    ...(result.items ? { items: result.items.map(({ id, type, valid, issues }) => ({ id, type, valid, issues })) } : {}),
  };
}

export function printCheckSummary(result: CheckResult, stream: NodeJS.WritableStream = process.stdout): void {
  for (const d of result.diagnostics) stream.write(formatDiagnostic(d) + "\n");
  const t = result.totals;
  stream.write(
    `${t.capabilities} capabilities, ${t.changes} changes, ${t.requirements} requirements, ${t.scenarios} scenarios: ` +
      `${t.errors} errors, ${t.warnings} warnings${result.items ? `; ${result.items.filter((i) => i.valid).length} of ${result.items.length} OpenSpec items valid (strict)` : ""}\n`,
  );
}

export async function specCheck(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" }, rules: { type: "string" }, explain: { type: "string" } }, 1);
  if (values.explain !== undefined) return explain(values.explain, Boolean(values.json));
  const rules = (values.rules ?? "atomicnix") as RuleSet;
  if (rules !== "atomicnix" && rules !== "openspec") throw new UsageError(`--rules must be atomicnix or openspec, not "${rules}"`);
  const result = checkCorpus(positionals[0] ?? "specs", { rules, validators: false });
  if (values.json) printJson(checkReport(result));
  else printCheckSummary(result);
  return checkPassed(result) ? EXIT.ok : EXIT.findings;
}
