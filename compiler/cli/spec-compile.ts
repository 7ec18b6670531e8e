import { join, relative } from "node:path";
import { checkCorpus } from "../corpus/check.js";
import { LayoutError } from "../generate/layout.js";
import { generatedFiles } from "../generate/outputs.js";
import { defaultRulesDoc, RulesDocError, syncRulesDoc, type RulesDocState } from "../generate/rules-doc.js";
import { applyGenerated, diffGenerated } from "../generate/sync.js";
import { EXIT, parse, printJson, UsageError } from "../../lib/args.js";
import { printCheckSummary } from "./spec-check.js";

const shown = (path: string) => relative(process.cwd(), path) || path;

export async function specCompile(argv: string[]): Promise<number> {
  const { values } = parse(argv, { check: { type: "boolean" }, json: { type: "boolean" }, specs: { type: "string" }, out: { type: "string" }, docs: { type: "string" } }, 0);
  const specsDir = values.specs ?? "specs";
  const outDir = values.out ?? "generated";
  const result = checkCorpus(specsDir);
  if (result.diagnostics.length > 0) {
    if (values.json) printJson({ ok: false, stage: "check", diagnostics: result.diagnostics, totals: result.totals });
    else {
      printCheckSummary(result, process.stderr);
      process.stderr.write("spec compile: fix the findings above first; generated/ was not touched\n");
    }
    return EXIT.findings;
  }
  let wanted: Map<string, string>;
  try {
    wanted = generatedFiles(result.catalogue);
  } catch (e) {
    if (!(e instanceof LayoutError)) throw e;
    if (values.json) printJson({ ok: false, stage: "generate", error: e.message });
    else process.stderr.write(`spec compile: ${e.message}; generated/ was not touched\n`);
    return EXIT.findings;
  }
  const drift = diffGenerated(outDir, wanted);
  const summary = {
    requirements: result.catalogue.requirements.length,
    scenarios: result.catalogue.scenarios.length,
    schemas: result.catalogue.schemas.length,
    tables: result.catalogue.tables.length,
    files: wanted.size,
  };
  let docs: RulesDocState | undefined;
  try {
    // The rules table documents the compiler, not the corpus: it is written from compiler/spec/rules/.
    docs = syncRulesDoc(values.docs ?? defaultRulesDoc(specsDir), { check: Boolean(values.check), required: values.docs !== undefined });
  } catch (e) {
    if (!(e instanceof RulesDocError)) throw e;
    if (values.docs !== undefined && e.message.includes("no such file")) throw new UsageError(e.message);
    if (values.json) printJson({ ok: false, stage: "docs", error: e.message });
    else process.stderr.write(`spec compile: ${e.message}\n`);
    return EXIT.findings;
  }
  const docsJson = docs ? { docs: { file: shown(docs.file), state: docs.state } } : {};
  const docsDrift = docs?.state === "changed";
  if (values.check) {
    const ok = drift.length === 0 && !docsDrift;
    if (values.json) printJson({ ok, out: outDir, drift, ...docsJson, ...summary });
    else {
      for (const d of drift) process.stdout.write(`${join(outDir, d.path)}: ${d.state}\n`);
      if (drift.length === 0) process.stdout.write(`${outDir}/ is up to date (${summary.files} files)\n`);
      else process.stdout.write(`${outDir}/ is out of date with ${specsDir}/: run npx atomicnix spec compile\n`);
      if (docsDrift) process.stdout.write(`${shown(docs!.file)}: the rules table differs from compiler/spec/rules/: run npx atomicnix spec compile\n`);
    }
    return ok ? EXIT.ok : EXIT.findings;
  }
  applyGenerated(outDir, wanted, drift);
  if (values.json) printJson({ ok: true, out: outDir, written: drift, ...docsJson, ...summary });
  else {
    process.stdout.write(`${outDir}/: ${drift.length} files updated; ${summary.requirements} requirements, ${summary.scenarios} scenarios, ${summary.schemas} schemas, ${summary.tables} tables\n`);
    if (docsDrift) process.stdout.write(`${shown(docs!.file)}: rules table rewritten\n`);
  }
  return EXIT.ok;
}
