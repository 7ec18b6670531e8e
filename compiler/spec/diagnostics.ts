/** info never fails a check (OpenSpec reports advice as INFO); warnings fail like `--strict`. */
export type Severity = "error" | "warning" | "info";

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  rule: string;
  severity: Severity;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column} ${d.severity} ${d.rule}: ${d.message}`;
}

export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}
  report(rule: string, at: { line: number; column: number }, message: string, severity: Severity = "error"): void {
    this.items.push({ file: this.file, line: at.line, column: at.column, rule, severity, message });
  }
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule);
}
