import { join, relative } from "node:path";
import { compareProblems } from "../../lib/problem.js";
import type { Diagnostic } from "../spec/diagnostics.js";
import type { Level } from "../openspec/messages.js";
import { validateOpenSpecRoot, type OpenSpecItem } from "../openspec/validate-root.js";
import type { CheckResult, FileReport } from "./check.js";
import { openSpecRootOf } from "./discover.js";
import { ruleById } from "../spec/rules/index.js";

const SEVERITY: Record<Level, Diagnostic["severity"]> = { ERROR: "error", WARNING: "warning", INFO: "info" };

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** `spec check --rules openspec`: OpenSpec's own item list, issues and levels, as our diagnostics. */
export function checkOpenSpecRules(path: string): CheckResult & { items: OpenSpecItem[] } {
  const root = openSpecRootOf(path);
  const items = validateOpenSpecRoot(root);
  const diagnostics: Diagnostic[] = [];
  const files: FileReport[] = [];
  for (const item of items) {
    const itemFile = display(item.path);
    const report: FileReport = { file: itemFile, kind: item.type === "spec" ? "spec" : "delta", requirements: item.requirements, scenarios: item.scenarios, errors: 0, warnings: 0 };
    files.push(report);
    for (const issue of item.issues) {
      // The emulation may only report what compiler/spec/rules/ declares for this set: --explain and the docs table list those.
      if (ruleById(issue.rule)?.set !== "openspec") throw new Error(`internal: the OpenSpec emulation reports "${issue.rule}", which compiler/spec/rules/ does not declare as an openspec rule`);
      const file = item.type === "change" && issue.file ? display(join(item.path, issue.file)) : itemFile;
      diagnostics.push({ file, line: issue.line ?? 1, column: 1, rule: issue.rule, severity: SEVERITY[issue.level], message: `${item.type}/${item.id}: ${issue.message}` });
      if (issue.level === "ERROR") report.errors++;
      if (issue.level === "WARNING") report.warnings++;
    }
  }
  diagnostics.sort(compareProblems);
  const specs = items.filter((i) => i.type === "spec");
  return {
    root: root.root,
    layout: root.layout,
    rules: "openspec",
    files,
    diagnostics,
    items,
    totals: {
      files: files.length,
      capabilities: specs.length,
      changes: items.length - specs.length,
      requirements: specs.reduce((n, i) => n + i.requirements, 0),
      scenarios: specs.reduce((n, i) => n + i.scenarios, 0),
      errors: diagnostics.filter((d) => d.severity === "error").length,
      warnings: diagnostics.filter((d) => d.severity === "warning").length,
    },
    catalogue: { capabilities: [], requirements: [], scenarios: [], schemas: [], tables: [], en18031: [] },
    documents: new Map(),
  };
}
