import { checkCorpus, type CheckResult } from "../corpus/check.js";
import { formatDiagnostic } from "../spec/diagnostics.js";
import type { RuleSet } from "../spec/rules.js";
import { EXIT, parse, printJson, UsageError } from "./args.js";

export function checkReport(result: CheckResult) {
  return {
    ok: result.diagnostics.length === 0,
    root: result.root,
    layout: result.layout,
    rules: result.rules,
    totals: result.totals,
    files: result.files,
    diagnostics: result.diagnostics,
  };
}

export function printCheckSummary(result: CheckResult, stream: NodeJS.WritableStream = process.stdout): void {
  for (const d of result.diagnostics) stream.write(formatDiagnostic(d) + "\n");
  const t = result.totals;
  stream.write(
    `${t.capabilities} capabilities, ${t.changes} changes, ${t.requirements} requirements, ${t.scenarios} scenarios: ` +
      `${t.errors} errors, ${t.warnings} warnings\n`,
  );
}

export async function specCheck(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" }, rules: { type: "string" } }, 1);
  const rules = (values.rules ?? "atomicnix") as RuleSet;
  if (rules !== "atomicnix" && rules !== "openspec") throw new UsageError(`--rules must be atomicnix or openspec, not "${rules}"`);
  const result = checkCorpus(positionals[0] ?? "specs", { rules });
  if (values.json) printJson(checkReport(result));
  else printCheckSummary(result);
  return result.diagnostics.length === 0 ? EXIT.ok : EXIT.findings;
}
