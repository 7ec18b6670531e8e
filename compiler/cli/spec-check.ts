import { watch as fsWatch } from "node:fs";
import { checkCorpus, type CheckResult } from "../corpus/check.js";
import { openSpecRootOf } from "../corpus/discover.js";
import { formatProblem } from "../../lib/problem.js";
import type { RuleSet } from "../spec/rules.js";
import { EXIT, parse, printJson, UsageError } from "../../lib/args.js";
import { explainRule, formatRule, RULES } from "../spec/rule-catalogue.js";

/** The rule sets `--rules` accepts: the ones the rule objects belong to. */
const RULE_SETS: readonly RuleSet[] = [...new Set(RULES.map((r) => r.set))];

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
  for (const d of result.diagnostics) stream.write(formatProblem(d) + "\n");
  const t = result.totals;
  stream.write(
    `${t.capabilities} capabilities, ${t.changes} changes, ${t.requirements} requirements, ${t.scenarios} scenarios: ` +
      `${t.errors} errors, ${t.warnings} warnings${result.items ? `; ${result.items.filter((i) => i.valid).length} of ${result.items.length} OpenSpec items valid (strict)` : ""}\n`,
  );
}

export async function specCheck(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" }, rules: { type: "string" }, explain: { type: "string" }, watch: { type: "boolean" } }, 1);
  if (values.explain !== undefined) return explain(values.explain, Boolean(values.json));
  const rules = (values.rules ?? "atomicnix") as RuleSet;
  if (!RULE_SETS.includes(rules)) throw new UsageError(`--rules must be ${RULE_SETS.join(" or ")}, not "${rules}"`);
  if (values.watch) return watch(positionals[0] ?? "specs", rules, Boolean(values.json));
  const result = checkCorpus(positionals[0] ?? "specs", { rules, validators: false });
  if (values.json) printJson(checkReport(result));
  else printCheckSummary(result);
  return checkPassed(result) ? EXIT.ok : EXIT.findings;
}

/**
 * `spec check --watch`: checks, then checks again after every change under the tree
 * (a burst of saves is one re-check). Unchanged files come from the parse cache, so
 * a re-check costs about one file's parse. Runs until interrupted.
 */
function watch(path: string, rules: RuleSet, json: boolean): Promise<number> {
  const root = openSpecRootOf(path).root;
  const once = () => {
    const t = performance.now();
    let result: CheckResult;
    try {
      result = checkCorpus(path, { rules, validators: false });
    } catch (e) {
      process.stderr.write(`spec check --watch: ${e instanceof Error ? e.message : e}\n`);
      return;
    }
    if (json) process.stdout.write(JSON.stringify(checkReport(result)) + "\n");
    else {
      printCheckSummary(result);
      process.stdout.write(`-- checked in ${(performance.now() - t).toFixed(0)} ms; watching ${root} (Ctrl-C to stop)\n`);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  // Watching starts before the first check, so a save made while it runs (or right
  // after its report) is not missed.
  const watcher = fsWatch(root, { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(once, 50);
  });
  once();
  return new Promise((resolve) => {
    const stop = () => {
      watcher.close();
      resolve(EXIT.ok);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
