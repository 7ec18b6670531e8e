import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join, relative } from "node:path";
import { applyDeltas } from "../archive/apply-deltas.js";
import { checkDiscovered } from "../corpus/check.js";
import { discoverCorpus, type CorpusFiles } from "../corpus/discover.js";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import { formatProblem } from "../../lib/problem.js";
import type { Diagnostic } from "../spec/diagnostics.js";
import { extractSpecDocument } from "../spec/extract.js";
import { EXIT, parse, printJson, UsageError } from "../../lib/args.js";

export async function specArchive(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { specs: { type: "string" }, "dry-run": { type: "boolean" }, json: { type: "boolean" }, date: { type: "string" } }, 1);
  const name = positionals[0];
  if (!name) throw new UsageError("name the change to archive");
  const date = values.date ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UsageError(`--date must be YYYY-MM-DD, not "${date}"`);
  const corpus = discoverCorpus(values.specs ?? "specs");
  const change = corpus.changes.find((c) => c.name === name && !c.archived);
  if (!change) throw new UsageError(`no active change "${name}" under ${join(corpus.root, "changes")}`);

  const problems: Diagnostic[] = [];
  const updated = new Map<string, { path: string; source: string }>();
  const applied: { capability: string; renamed: number; removed: number; modified: number; added: number }[] = [];
  const specsDir = corpus.layout === "openspec" ? join(corpus.root, "specs") : corpus.root;
  for (const delta of change.deltas) {
    const base = corpus.capabilities.find((c) => c.name === delta.capability);
    const doc = extractSpecDocument(delta.file.display, delta.file.source);
    const result = applyDeltas(delta.capability, base?.file.source, doc, name);
    problems.push(...result.problems);
    applied.push({ capability: delta.capability, ...result.counts });
    updated.set(delta.capability, { path: base?.file.path ?? join(specsDir, delta.capability, "spec.md"), source: result.source });
  }

  if (problems.length === 0) {
    // Re-validate the corpus as it would be after the archive, without this change.
    const after: CorpusFiles = {
      ...corpus,
      capabilities: [
        ...corpus.capabilities.map((c) => (updated.has(c.name) ? { name: c.name, file: { ...c.file, source: updated.get(c.name)!.source } } : c)),
        ...[...updated.entries()].filter(([cap]) => !corpus.capabilities.some((c) => c.name === cap)).map(([cap, u]) => ({ name: cap, file: { path: u.path, display: relative(process.cwd(), u.path), source: u.source } })),
      ],
      changes: corpus.changes.filter((c) => c !== change),
    };
    problems.push(...checkDiscovered(after).diagnostics.filter((d) => d.severity === "error"));
  }
  const target = join(corpus.root, "changes", "archive", `${date}-${name}`);
  if (problems.length === 0 && existsSync(target)) throw new UsageError(`${target} already exists`);

  if (problems.length > 0) {
    if (values.json) printJson({ ok: false, change: name, diagnostics: problems });
    else {
      for (const d of problems) process.stderr.write(formatProblem(d) + "\n");
      process.stderr.write(`spec archive: change "${name}" not archived; no file was changed\n`);
    }
    return EXIT.findings;
  }
  if (!values["dry-run"]) {
    for (const u of updated.values()) writeFileAtomic(u.path, u.source);
    mkdirSync(join(corpus.root, "changes", "archive"), { recursive: true });
    renameSync(change.dir, target);
  }
  if (values.json) printJson({ ok: true, change: name, dryRun: Boolean(values["dry-run"]), archivedTo: target, applied });
  else {
    for (const a of applied) process.stdout.write(`${a.capability}: ${a.renamed} renamed, ${a.removed} removed, ${a.modified} modified, ${a.added} added\n`);
    process.stdout.write(values["dry-run"] ? `dry run: nothing written\n` : `archived to ${relative(process.cwd(), target)}\n`);
  }
  return EXIT.ok;
}
