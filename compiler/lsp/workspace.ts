/**
 * What the language server knows about a checkout: the spec corpus with the
 * editor's unsaved buffers laid over the files, the `scenario("id", ...)` bindings in
 * tests, and the waivers. Checking after an edit re-reads only the edited file: the
 * other documents come from the content-hash cache.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { checkDiscovered, type CheckResult } from "../corpus/check.js";
import { discoverCorpus, type CorpusFiles } from "../corpus/discover.js";

export interface Binding {
  id: string;
  file: string;
  line: number;
  character: number;
}

export const ID_AT = /[a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)+/g;

export function uriToPath(uri: string): string {
  return uri.startsWith("file:") ? fileURLToPath(uri) : uri;
}

export function pathToUri(path: string): string {
  return pathToFileURL(path).href;
}

function walk(dir: string, keep: (name: string) => boolean, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, keep, out);
    else if (e.isFile() && keep(e.name)) out.push(p);
  }
  return out;
}

const BINDING = /\bscenario\(\s*"([^"]+)"/g;

export class Workspace {
  readonly specsDir: string;
  readonly open = new Map<string, string>();
  private corpus: CorpusFiles;
  private bindings = new Map<string, Binding[]>();
  last?: CheckResult;

  constructor(readonly root: string) {
    this.specsDir = resolve(root, "specs");
    this.corpus = discoverCorpus(this.specsDir);
    for (const f of this.testFiles()) this.indexTest(f, readFileSync(f, "utf8"));
  }

  testFiles(): string[] {
    return ["tests", "twin"].flatMap((d) => walk(join(this.root, d), (n) => n.endsWith(".ts")));
  }

  waiversFile(): string {
    return join(this.root, "conformance", "waivers.toml");
  }

  isSpec(path: string): boolean {
    return path.startsWith(this.specsDir + "/") && path.endsWith(".md");
  }

  text(path: string): string | undefined {
    if (this.open.has(path)) return this.open.get(path);
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  }

  /** Records an editor buffer (or a saved file); returns whether the corpus must be checked again. */
  update(path: string, text: string | undefined): boolean {
    if (text === undefined) this.open.delete(path);
    else this.open.set(path, text);
    if (path.endsWith(".ts")) {
      this.indexTest(path, text ?? this.text(path) ?? "");
      return false;
    }
    if (!this.isSpec(path)) return false;
    const known = [...this.corpus.capabilities.map((c) => c.file), ...this.corpus.changes.flatMap((c) => c.deltas.map((d) => d.file))].some((f) => f.path === path);
    // A new spec file changes the corpus layout: read the tree again.
    if (!known && existsSync(path)) this.corpus = discoverCorpus(this.specsDir);
    return true;
  }

  private overlay(): CorpusFiles {
    const o = (f: { path: string; display: string; source: string }) => (this.open.has(f.path) ? { ...f, source: this.open.get(f.path)!, unsaved: true } : f);
    return {
      ...this.corpus,
      capabilities: this.corpus.capabilities.map((c) => ({ ...c, file: o(c.file) })),
      changes: this.corpus.changes.map((ch) => ({ ...ch, deltas: ch.deltas.map((d) => ({ ...d, file: o(d.file) })) })),
    };
  }

  check(): CheckResult {
    this.last = checkDiscovered(this.overlay(), { validators: false });
    return this.last;
  }

  specFiles(): string[] {
    return [...this.corpus.capabilities.map((c) => c.file.path), ...this.corpus.changes.flatMap((c) => c.deltas.map((d) => d.file.path))];
  }

  /** Absolute path for a diagnostic's file (diagnostics carry display paths). */
  absolute(display: string): string {
    return resolve(process.cwd(), display);
  }

  private indexTest(path: string, text: string): void {
    for (const [id, list] of this.bindings) {
      const kept = list.filter((b) => b.file !== path);
      if (kept.length) this.bindings.set(id, kept);
      else this.bindings.delete(id);
    }
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      for (const m of line.matchAll(BINDING)) {
        const b: Binding = { id: m[1]!, file: path, line: i, character: m.index! + m[0].indexOf('"') + 1 };
        this.bindings.set(b.id, [...(this.bindings.get(b.id) ?? []), b]);
      }
    });
  }

  bindingsOf(id: string): Binding[] {
    return this.bindings.get(id) ?? [];
  }
}
