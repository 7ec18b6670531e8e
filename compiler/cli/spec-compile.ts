import { join } from "node:path";
import { checkCorpus } from "../corpus/check.js";
import { generatedFiles } from "../generate/outputs.js";
import { applyGenerated, diffGenerated } from "../generate/sync.js";
import { EXIT, parse, printJson } from "../../lib/args.js";
import { printCheckSummary } from "./spec-check.js";

export async function specCompile(argv: string[]): Promise<number> {
  const { values } = parse(argv, { check: { type: "boolean" }, json: { type: "boolean" }, specs: { type: "string" }, out: { type: "string" } }, 0);
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
  const wanted = generatedFiles(result.catalogue);
  const drift = diffGenerated(outDir, wanted);
  const summary = {
    requirements: result.catalogue.requirements.length,
    scenarios: result.catalogue.scenarios.length,
    schemas: result.catalogue.schemas.length,
    tables: result.catalogue.tables.length,
    files: wanted.size,
  };
  if (values.check) {
    if (values.json) printJson({ ok: drift.length === 0, out: outDir, drift, ...summary });
    else if (drift.length === 0) process.stdout.write(`${outDir}/ is up to date (${summary.files} files)\n`);
    else {
      for (const d of drift) process.stdout.write(`${join(outDir, d.path)}: ${d.state}\n`);
      process.stdout.write(`${outDir}/ is out of date with ${specsDir}/: run npx atomicnix spec compile\n`);
    }
    return drift.length === 0 ? EXIT.ok : EXIT.findings;
  }
  applyGenerated(outDir, wanted, drift);
  if (values.json) printJson({ ok: true, out: outDir, written: drift, ...summary });
  else process.stdout.write(`${outDir}/: ${drift.length} files updated; ${summary.requirements} requirements, ${summary.scenarios} scenarios, ${summary.schemas} schemas, ${summary.tables} tables\n`);
  return EXIT.ok;
}
