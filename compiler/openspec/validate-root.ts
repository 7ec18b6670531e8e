import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Issue } from "./messages.js";
import { discoverSpecFiles, nestedChangeIssue, validateChangeDir } from "./validate-change.js";
import { validateSpecContent } from "./validate-spec.js";

export interface OpenSpecItem {
  id: string;
  type: "spec" | "change";
  /** strict verdict: no ERROR and no WARNING */
  valid: boolean;
  issues: Issue[];
  /** the spec.md (spec) or the change folder (change) */
  path: string;
  requirements: number;
  scenarios: number;
}

export interface OpenSpecRoot {
  specsDir: string;
  changesDir: string;
  projectRoot: string;
  /** top-level folder names under specsDir that are not capabilities (our layout keeps changes/ there) */
  skipTop?: ReadonlySet<string>;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Active change folders: every directory under changes/ but archive/ and dot folders. */
function activeChangeIds(changesDir: string): string[] {
  try {
    return readdirSync(changesDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== "archive" && !e.name.startsWith("."))
      .map((e) => e.name)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return [];
    throw e;
  }
}

/**
 * What `openspec validate --all --strict` reports for a root: one item per change
 * and per spec (nested capability folders included), sorted by ID, each with
 * OpenSpec's issues and levels. A file that cannot be read is that item's ERROR,
 * as in OpenSpec, never a crash.
 */
export function validateOpenSpecRoot(root: OpenSpecRoot): OpenSpecItem[] {
  const items: OpenSpecItem[] = [];
  for (const id of activeChangeIds(root.changesDir)) {
    const dir = join(root.changesDir, id);
    let issues: Issue[];
    try {
      const nested = nestedChangeIssue(root.changesDir, id);
      issues = nested ? [nested] : validateChangeDir(dir, root.specsDir, root.projectRoot);
    } catch (e) {
      issues = [{ level: "ERROR", rule: "os-file", path: "file", message: message(e) }];
    }
    items.push({ id, type: "change", valid: !issues.some((i) => i.level !== "INFO"), issues, path: dir, requirements: 0, scenarios: 0 });
  }
  let specs: { id: string; file: string }[] = [];
  try {
    specs = discoverSpecFiles(root.specsDir, root.skipTop);
  } catch (e) {
    items.push({ id: "specs", type: "spec", valid: false, issues: [{ level: "ERROR", rule: "os-file", path: "file", message: message(e) }], path: root.specsDir, requirements: 0, scenarios: 0 });
  }
  for (const { id, file } of specs) {
    let result: ReturnType<typeof validateSpecContent>;
    try {
      result = validateSpecContent(readFileSync(file, "utf8"));
    } catch (e) {
      result = { issues: [{ level: "ERROR", rule: "os-file", path: "file", message: message(e) }], requirements: 0, scenarios: 0 };
    }
    items.push({ id, type: "spec", valid: !result.issues.some((i) => i.level !== "INFO"), issues: result.issues, path: file, requirements: result.requirements, scenarios: result.scenarios });
  }
  return items.sort((a, b) => a.id.localeCompare(b.id));
}
