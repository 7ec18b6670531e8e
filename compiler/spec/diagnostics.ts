import type { Problem, Severity } from "../../lib/problem.js";
import { ruleById } from "./rules/index.js";

/** A problem the spec compiler found: always at a position in a Markdown file. */
export type Diagnostic = Problem & { line: number; column: number };

/** A rule's declared severity; a rule name without a file under compiler/spec/rules/ is a bug in the compiler. */
function ruleSeverity(rule: string): Severity {
  const severity = ruleById(rule)?.severity;
  if (!severity) throw new Error(`internal: rule "${rule}" is reported but not declared in compiler/spec/rules/`);
  return severity;
}

export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}
  report(rule: string, at: { line: number; column: number }, message: string, severity: Severity = ruleSeverity(rule)): void {
    this.items.push({ file: this.file, line: at.line, column: at.column, rule, severity, message });
  }
}
