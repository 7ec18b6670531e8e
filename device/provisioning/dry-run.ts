import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * A scratch copy of a state directory next to it (same file system, links kept
 * verbatim), for `import --list-crash-points`: the listed steps are those of a real
 * import of the same input into the same state.
 */
export function copyStateForDryRun(root: string): { root: string; remove: () => void } {
  const parent = existsSync(dirname(root)) ? dirname(root) : "/tmp";
  const base = mkdtempSync(join(parent, ".provision-dry-run-"));
  const copy = join(base, "config");
  if (existsSync(root)) cpSync(root, copy, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  return { root: copy, remove: () => rmSync(base, { recursive: true, force: true }) };
}
