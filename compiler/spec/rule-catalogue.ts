import { RULES as RULE_OBJECTS } from "./rules/index.js";
import type { Rule } from "./rules/types.js";

/**
 * Every rule `spec check` can report, as `--explain RULE` prints it and the rules
 * table of docs/spec-format.md lists it: a view of the rule objects in
 * compiler/spec/rules/, which are the one place a rule is declared.
 */
export interface RuleInfo {
  rule: string;
  /** which `--rules` set reports it */
  set: "atomicnix" | "openspec";
  checks: string;
  /** OpenSpec's level for the same finding in `validate --strict`, or what it does instead */
  openspec: string;
  /** what our finding is reported as */
  severity: Rule["severity"];
  /** OpenSpec's level alone, null when OpenSpec has no such rule */
  openspecLevel: Rule["openspecLevel"];
}

/** What OpenSpec does with the same finding, in words: the note, else the bare level, else "no". */
function openspecText(r: Rule): string {
  return r.openspecNote ?? r.openspecLevel ?? "no";
}

export const RULES: readonly RuleInfo[] = RULE_OBJECTS.map((r) => ({ rule: r.id, set: r.set, checks: r.doc, openspec: openspecText(r), severity: r.severity, openspecLevel: r.openspecLevel }));

export function explainRule(name: string): RuleInfo | undefined {
  return RULES.find((r) => r.rule === name);
}

export function formatRule(r: RuleInfo): string {
  return `${r.rule} (--rules ${r.set}, ${r.severity})\n  checks:   ${r.checks}\n  OpenSpec: ${r.openspec}\n`;
}

/** The Markdown table for docs/spec-format.md. */
export function rulesTable(): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return ["| rule | rule set | what it checks | OpenSpec 1.13 (`validate --all --strict`) |", "|---|---|---|---|", ...RULES.map((r) => `| \`${r.rule}\` | ${r.set} | ${esc(r.checks)} | ${esc(r.openspec)} |`)].join("\n") + "\n";
}
