import type { Problem, Severity } from "../../lib/problem.js";

/** A problem the spec compiler found: always at a position in a Markdown file. */
export type Diagnostic = Problem & { line: number; column: number };

export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}
  report(rule: string, at: { line: number; column: number }, message: string, severity: Severity = "error"): void {
    this.items.push({ file: this.file, line: at.line, column: at.column, rule, severity, message });
  }
}
