import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../../lib/atomic-write.js";

/**
 * A content-addressed cache for the compiler's expensive pure steps (markdown
 * extraction, standalone validator generation). Keys hash the input and the
 * compiler's own code, so an edited spec or an edited compiler always misses.
 * In memory per process, on disk under `.cache/` between processes; set
 * ATOMICNIX_SPEC_CACHE=off to disable both, or to a folder to move it.
 */
const here = dirname(fileURLToPath(import.meta.url));
const compilerDir = join(here, "..");

function compilerFingerprint(): string {
  const hash = createHash("sha256");
  // From source: every compiler module; from a bundle: the bundle itself.
  const files = existsSync(join(compilerDir, "spec", "extract.ts"))
    ? ["spec", "schema"].flatMap((d) => readdirSync(join(compilerDir, d)).filter((f) => f.endsWith(".ts")).sort().map((f) => join(compilerDir, d, f)))
    : [fileURLToPath(import.meta.url)];
  for (const f of files) hash.update(f.slice(compilerDir.length)).update(readFileSync(f));
  return hash.digest("hex").slice(0, 16);
}

let fingerprint: string | undefined;
const memory = new Map<string, unknown>();
/** Cache folders this process already created (or found), so each entry's write skips mkdir. */
const madeFolders = new Set<string>();

function cacheDir(): string | undefined {
  if (process.env.ATOMICNIX_SPEC_CACHE === "off") return undefined;
  return resolve(process.env.ATOMICNIX_SPEC_CACHE ?? join(compilerDir, "..", ".cache", "compiler"));
}

/** Inputs above this many characters are cached from their second sighting on. */
const LARGE_INPUT = 1_000_000;

function ensureFolder(folder: string): void {
  if (madeFolders.has(folder)) return;
  mkdirSync(folder, { recursive: true });
  madeFolders.add(folder);
}

/**
 * Returns `compute()`'s JSON-serialisable result for `input`, from the cache when it
 * can. `persist: false` keeps the result in memory only (an editor's unsaved buffer
 * changes with every keystroke; writing each version to disk would cost more than it saves).
 */
export function cached<T>(namespace: string, input: string, compute: () => T, options: { persist?: boolean } = {}): T {
  const dir = cacheDir();
  if (!dir) return compute();
  fingerprint ??= compilerFingerprint();
  const key = createHash("sha256").update(namespace).update("\0").update(fingerprint).update("\0").update(input).digest("hex");
  if (memory.has(key)) return memory.get(key) as T;
  // One folder per namespace (no hash-prefix shards): a cold check then creates one
  // folder instead of one per entry, and mkdir was a fifth of a cold check's write cost.
  const folder = join(dir, namespace);
  const path = join(folder, `${key}.json`);
  if (existsSync(path) && statSync(path).size > 0) {
    try {
      const value = JSON.parse(readFileSync(path, "utf8")) as T;
      memory.set(key, value);
      return value;
    } catch {
      // A damaged entry is recomputed below.
    }
  }
  const value = compute();
  // An unsaved buffer's versions are not kept: one per keystroke would only grow the
  // heap (and the garbage collector's work on every later edit).
  if (options.persist === false) return value;
  memory.set(key, value);
  try {
    // Entries of large inputs are admitted on their second sighting: a one-shot check
    // (a fresh CI clone) never reads them back, and serialising one costs about a
    // sixth of checking a multi-MB spec; a re-check of the same content writes it.
    if (input.length > LARGE_INPUT && !existsSync(`${path}.seen`)) {
      ensureFolder(folder);
      writeFileSync(`${path}.seen`, "");
      return value;
    }
    // A lost entry after a crash is only a recomputation: no fsync on this path.
    ensureFolder(folder);
    writeFileAtomic(path, JSON.stringify(value), 0o644, false, false);
  } catch {
    // Read-only checkouts still work; they just do not get faster.
  }
  return value;
}
