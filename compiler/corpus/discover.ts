import { readdirSync, readFileSync, statSync } from "node:fs";
import { isFile } from "../fs/is-file.js";
import { dirname, join, relative, resolve } from "node:path";
import { UsageError } from "../../lib/errors.js";
import { discoverSpecFiles } from "../openspec/validate-change.js";
import type { OpenSpecRoot } from "../openspec/validate-root.js";

export type Layout = "atomicnix" | "openspec";

interface SourceFile {
  /** absolute path */
  path: string;
  /** path as shown to the user */
  display: string;
  source: string;
  /** an editor buffer not saved yet (its parse is not written to the disk cache) */
  unsaved?: boolean;
}

export interface ChangeFiles {
  name: string;
  dir: string;
  archived: boolean;
  proposal?: SourceFile;
  tasks?: SourceFile;
  deltas: { capability: string; file: SourceFile }[];
}

export interface CorpusFiles {
  root: string;
  layout: Layout;
  capabilities: { name: string; file: SourceFile }[];
  changes: ChangeFiles[];
  en18031File?: string;
}


const RESERVED = new Set(["changes", "archive"]);

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function listDirs(dir: string): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}

function readSource(path: string): SourceFile {
  const rel = relative(process.cwd(), path);
  return { path, display: rel && !rel.startsWith("..") ? rel : path, source: readFileSync(path, "utf8") };
}

function readIfExists(path: string): SourceFile | undefined {
  return isFile(path) ? readSource(path) : undefined;
}

/**
 * Finds the spec root under PATH: a folder holding `openspec/`, an OpenSpec root
 * itself (`specs/` inside), or our layout (capability folders directly inside).
 */
function resolveRoot(path: string): { root: string; layout: Layout } {
  const abs = resolve(path);
  if (!isDir(abs)) throw new UsageError(`${path}: not a directory`);
  if (isDir(join(abs, "openspec", "specs")) || isDir(join(abs, "openspec", "changes"))) return { root: join(abs, "openspec"), layout: "openspec" };
  const hasOwnCapabilities = listDirs(abs).some((d) => !RESERVED.has(d) && isFile(join(abs, d, "spec.md")));
  if (!hasOwnCapabilities && isDir(join(abs, "specs"))) return { root: abs, layout: "openspec" };
  return { root: abs, layout: "atomicnix" };
}

function readChange(dir: string, name: string, archived: boolean): ChangeFiles {
  const change: ChangeFiles = { name, dir, archived, deltas: [] };
  const proposal = readIfExists(join(dir, "proposal.md"));
  const tasks = readIfExists(join(dir, "tasks.md"));
  if (proposal) change.proposal = proposal;
  if (tasks) change.tasks = tasks;
  for (const { id, file } of discoverSpecFiles(join(dir, "specs"))) change.deltas.push({ capability: id, file: readSource(file) });
  return change;
}

export function discoverCorpus(path: string): CorpusFiles {
  const { root, layout } = resolveRoot(path);
  const specsDir = layout === "openspec" ? join(root, "specs") : root;
  const capabilities = discoverSpecFiles(specsDir, layout === "openspec" ? new Set() : RESERVED).map(({ id, file }) => ({ name: id, file: readSource(file) }));
  const changesDir = join(root, "changes");
  const changes: ChangeFiles[] = [];
  for (const name of listDirs(changesDir)) {
    if (name === "archive") {
      for (const archived of listDirs(join(changesDir, "archive"))) changes.push(readChange(join(changesDir, "archive", archived), archived, true));
    } else changes.push(readChange(join(changesDir, name), name, false));
  }
  const en = [join(root, "en18031-part1.json"), join(root, "..", "specs", "en18031-part1.json")].find((p) => isFile(p));
  return { root, layout, capabilities, changes, ...(en ? { en18031File: en } : {}) };
}

/** Where OpenSpec would look for specs and changes in a root of either layout. */
export function openSpecRootOf(path: string): OpenSpecRoot & { root: string; layout: Layout } {
  const { root, layout } = resolveRoot(path);
  if (layout === "openspec") return { root, layout, specsDir: join(root, "specs"), changesDir: join(root, "changes"), projectRoot: dirname(root) };
  return { root, layout, specsDir: root, changesDir: join(root, "changes"), projectRoot: root, skipTop: RESERVED };
}
