import { existsSync, readFileSync, chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, type Stats } from "node:fs";
import { join } from "node:path";
import { fsyncPath, makeDirs, writeNewFile, type Steps } from "./durable.js";
import { OPTIONAL_ENTRIES, OUTPUT_DIRS, OUTPUT_ENTRIES, type OutputFile } from "./outputs.js";

/**
 * The generation store of prov.atomic-commit. /data/config holds:
 *   .generations/<n>/   one complete state each, written and fsynced before use
 *   .current            symlink to .generations/<n>; renaming a new one over it is the commit
 *   <entry>             for every output entry, a symlink to .current/<entry>
 * Entries of other owners (ssh-wan-enabled, openvpn/, bundles/ ...) are never touched.
 * Leftovers of an interrupted import (staging dirs, uncommitted generations, a new
 * .current link that was not renamed) are removed by recover().
 */
const GENERATIONS = ".generations";
const CURRENT = ".current";
export const STAGING_PREFIX = ".staging-";
const NEW_LINK_PREFIX = ".current.new-";
const REPLACED_PREFIX = ".replaced-";

const ROOT_USER = process.getuid?.() === 0;

function lstat(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function noop(): void {}

/** The generation name .current points at, if any. */
export function currentGeneration(root: string): string | undefined {
  try {
    const target = readlinkSync(join(root, CURRENT));
    const m = /^\.generations\/([0-9]+)$/.exec(target);
    return m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

function generationNames(root: string): string[] {
  try {
    return readdirSync(join(root, GENERATIONS)).filter((n) => /^[0-9]+$/.test(n));
  } catch {
    return [];
  }
}

function makeDir(path: string): void {
  mkdirSync(path, { mode: 0o755 });
  chmodSync(path, 0o755);
  if (ROOT_USER) chownSync(path, 0, 0);
}

/** Creates the fixed entry symlinks. They resolve through .current, so they stay valid across commits. */
function ensureEntryLinks(root: string, steps: Steps, present: ReadonlySet<string>): { legacy: string[] } {
  const legacy: string[] = [];
  let changed = false;
  for (const entry of OUTPUT_ENTRIES) {
    if (OPTIONAL_ENTRIES.includes(entry) && !present.has(entry)) continue;
    const path = join(root, entry);
    const st = lstat(path);
    const want = `${CURRENT}/${entry}`;
    if (st?.isSymbolicLink() && readlinkSync(path) === want) continue;
    if (st) {
      legacy.push(entry);
      continue;
    }
    steps.step(`link ${entry}`);
    symlinkSync(want, path);
    changed = true;
  }
  if (changed) {
    steps.step("fsync root after links");
    fsyncPath(root);
  }
  return { legacy };
}

/**
 * Replaces entries a pre-generation state left as plain files or directories by the
 * entry links; runs only after a commit, so the new state is already complete.
 */
function replaceLegacyEntries(root: string, legacy: string[], steps: Steps): void {
  for (const entry of legacy) {
    const path = join(root, entry);
    const tmp = join(root, `${NEW_LINK_PREFIX}${entry}`);
    rmSync(tmp, { force: true, recursive: true });
    steps.step(`legacy link ${entry}`);
    symlinkSync(`${CURRENT}/${entry}`, tmp);
    if (lstat(path)?.isDirectory()) {
      const aside = join(root, `${REPLACED_PREFIX}${entry}`);
      rmSync(aside, { force: true, recursive: true });
      renameSync(path, aside);
      renameSync(tmp, path);
      rmSync(aside, { recursive: true, force: true });
    } else renameSync(tmp, path);
  }
  if (legacy.length) fsyncPath(root);
}

/** Removes everything an interrupted import can leave behind; the committed state is never touched. */
export function recover(root: string, steps?: Steps, keep?: string): { removed: string[] } {
  const s = steps ?? ({ step: noop } as unknown as Steps);
  const removed: string[] = [];
  if (!lstat(root)) return { removed };
  for (const name of readdirSync(root)) {
    if (name === keep) continue;
    if (name.startsWith(STAGING_PREFIX) || name.startsWith(NEW_LINK_PREFIX) || name.startsWith(REPLACED_PREFIX)) {
      s.step(`recover remove ${name}`);
      rmSync(join(root, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  const current = currentGeneration(root);
  let gensChanged = false;
  for (const g of generationNames(root)) {
    if (g === current) continue;
    s.step(`recover remove generation ${g}`);
    rmSync(join(root, GENERATIONS, g), { recursive: true, force: true });
    removed.push(`${GENERATIONS}/${g}`);
    gensChanged = true;
  }
  for (const name of lstat(join(root, GENERATIONS)) ? readdirSync(join(root, GENERATIONS)) : []) {
    if (/^[0-9]+$/.test(name)) continue;
    rmSync(join(root, GENERATIONS, name), { recursive: true, force: true });
    removed.push(`${GENERATIONS}/${name}`);
    gensChanged = true;
  }
  if (gensChanged) fsyncPath(join(root, GENERATIONS));
  // An optional entry's link made for a state that never committed, or left by a kill right after a commit that dropped it.
  for (const entry of OPTIONAL_ENTRIES) {
    const path = join(root, entry);
    if (!lstat(path)?.isSymbolicLink() || readlinkSync(path) !== `${CURRENT}/${entry}` || existsSync(path)) continue;
    s.step(`recover unlink ${entry}`);
    rmSync(path, { force: true });
    removed.push(entry);
  }
  if (removed.length) fsyncPath(root);
  return { removed };
}

/** Copies a generation's files/ tree (regular files and directories only) with normalised modes. */
function copyTree(from: string, to: string, steps: Steps, dirs: string[]): void {
  steps.step(`mkdir ${to}`);
  makeDir(to);
  dirs.push(to);
  for (const e of readdirSync(from, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) copyTree(src, dst, steps, dirs);
    else if (e.isFile()) {
      const exec = (lstatSync(src).mode & 0o111) !== 0;
      steps.step(`copy ${dst}`);
      writeNewFile(dst, readFileSync(src), exec ? 0o755 : 0o644);
    }
  }
}

function listDirs(dir: string, out: string[]): void {
  out.push(dir);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) listDirs(join(dir, e.name), out);
}

export interface CommitInput {
  files: readonly OutputFile[];
  /** files/ source: a staged tree to move in, or keep the current generation's tree */
  filesFrom: { staged: string } | "keep";
  /** name of the import's own staging directory under root, spared by the clean-up */
  staging?: string;
}

/** Writes a complete new generation and commits it with one rename. Returns its name. */
export function commitGeneration(root: string, input: CommitInput, steps: Steps): string {
  if (!lstat(root)) {
    steps.step("mkdir root");
    makeDirs(root, 0o755);
  }
  recover(root, steps, input.staging);
  const gens = join(root, GENERATIONS);
  if (!lstat(gens)) {
    steps.step("mkdir .generations");
    makeDir(gens);
    fsyncPath(root);
  }
  const previous = currentGeneration(root);
  const next = String(Math.max(0, ...generationNames(root).map(Number)) + 1);
  const gen = join(gens, next);
  const dirs: string[] = [];
  steps.step(`mkdir generation ${next}`);
  makeDir(gen);
  dirs.push(gen);
  for (const d of OUTPUT_DIRS) {
    if (d === "files") continue;
    steps.step(`mkdir ${d}`);
    makeDir(join(gen, d));
    dirs.push(join(gen, d));
  }
  for (const f of input.files) {
    steps.step(`write ${f.rel}`);
    writeNewFile(join(gen, f.rel), f.data, f.mode);
  }
  const filesDir = join(gen, "files");
  if (input.filesFrom !== "keep") {
    const staged = input.filesFrom.staged;
    if (lstat(staged)?.isDirectory()) {
      steps.step("move staged files");
      renameSync(staged, filesDir);
      listDirs(filesDir, dirs);
    } else {
      steps.step("mkdir files");
      makeDir(filesDir);
      dirs.push(filesDir);
    }
  } else {
    const old = previous ? join(gens, previous, "files") : undefined;
    if (old && lstat(old)?.isDirectory()) copyTree(old, filesDir, steps, dirs);
    else {
      steps.step("mkdir files");
      makeDir(filesDir);
      dirs.push(filesDir);
    }
  }
  // Bottom-up, so every entry is durable before the directory naming it.
  for (const d of dirs.reverse()) {
    steps.step(`fsync ${d.slice(root.length + 1)}`);
    fsyncPath(d);
  }
  steps.step("fsync .generations");
  fsyncPath(gens);

  const present = new Set(input.files.map((f) => f.rel.split("/")[0]!));
  const { legacy } = ensureEntryLinks(root, steps, present);
  const newLink = join(root, `${NEW_LINK_PREFIX}${next}`);
  steps.step("create new .current link");
  symlinkSync(`${GENERATIONS}/${next}`, newLink);
  steps.step("fsync root before commit");
  fsyncPath(root);
  steps.step("commit: rename .current");
  renameSync(newLink, join(root, CURRENT));
  steps.step("fsync root after commit");
  fsyncPath(root);

  replaceLegacyEntries(root, legacy, steps);
  // An optional entry the new state lacks would be a dangling link: the file is gone, so is the name.
  for (const entry of OPTIONAL_ENTRIES) {
    const path = join(root, entry);
    if (present.has(entry) || !lstat(path)?.isSymbolicLink() || readlinkSync(path) !== `${CURRENT}/${entry}`) continue;
    steps.step(`unlink ${entry}`);
    rmSync(path, { force: true });
    fsyncPath(root);
  }
  if (previous) {
    steps.step(`remove generation ${previous}`);
    rmSync(join(gens, previous), { recursive: true, force: true });
    steps.step("fsync .generations after cleanup");
    fsyncPath(gens);
  }
  return next;
}
