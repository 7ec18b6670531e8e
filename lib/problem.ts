/**
 * The one shape of a finding, whoever finds it (the spec compiler, the waiver file
 * reader, ...): what is wrong, where, and by which rule, printed one way as text and
 * one way as JSON so a reader (or a tool) learns one format.
 */

/** info never fails a check (OpenSpec reports advice as INFO); warnings fail like `--strict`. */
export type Severity = "error" | "warning" | "info";

export interface Problem {
  severity: Severity;
  /** a stable ID a reader can look up or grep for, e.g. `level-missing`, `waiver-scope` */
  rule: string;
  file: string;
  /** the field inside the file in dotted form (`waiver[1].expires`), when the place is a field */
  path?: string;
  /** 1-based, when the place is a position in the text */
  line?: number;
  column?: number;
  message: string;
  /** what to do about it, when the message alone does not say */
  hint?: string;
}

/** `FILE:LINE:COLUMN SEVERITY RULE: MESSAGE`; a field path follows the file, a hint goes on the next line. */
export function formatProblem(p: Problem): string {
  const at = p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : "";
  const path = p.path ? ` ${p.path}` : "";
  return `${p.file}${at}${path} ${p.severity} ${p.rule}: ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ""}`;
}

/** The JSON form: the same fields in one order, absent ones left out. */
export function problemJson(p: Problem): Problem {
  const { severity, rule, file, path, line, column, message, hint } = p;
  return {
    severity,
    rule,
    file,
    ...(path !== undefined ? { path } : {}),
    ...(line !== undefined ? { line } : {}),
    ...(column !== undefined ? { column } : {}),
    message,
    ...(hint !== undefined ? { hint } : {}),
  };
}

/** By file, then position, then rule: the order every report lists problems in. */
export function compareProblems(a: Problem, b: Problem): number {
  return a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || (a.path ?? "").localeCompare(b.path ?? "") || a.rule.localeCompare(b.rule);
}
