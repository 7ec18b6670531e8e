import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { writeFileAtomic } from "../../lib/atomic-write.js";

export interface Drift {
  path: string;
  state: "changed" | "missing" | "stale";
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Compares the wanted files with what is on disk under `dir`; the folder is owned entirely by the compiler. */
export function diffGenerated(dir: string, wanted: ReadonlyMap<string, string>): Drift[] {
  const drift: Drift[] = [];
  for (const [path, content] of wanted) {
    const full = join(dir, path);
    if (!existsSync(full)) drift.push({ path, state: "missing" });
    else if (readFileSync(full, "utf8") !== content) drift.push({ path, state: "changed" });
  }
  for (const path of listFiles(dir)) if (!wanted.has(path)) drift.push({ path, state: "stale" });
  return drift.sort((a, b) => a.path.localeCompare(b.path));
}

export function applyGenerated(dir: string, wanted: ReadonlyMap<string, string>, drift: readonly Drift[]): void {
  for (const d of drift) {
    const full = join(dir, d.path);
    if (d.state === "stale") rmSync(full);
    else writeFileAtomic(full, wanted.get(d.path)!);
  }
  // Drop folders emptied by stale removals so the tree matches a fresh compile.
  const prune = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) prune(join(d, e.name));
    if (d !== dir && readdirSync(d).length === 0 && statSync(d).isDirectory()) rmSync(d, { recursive: true });
  };
  if (existsSync(dir)) prune(dir);
}
