import { join } from "node:path";
import { checkCorpus, type Catalogue } from "../../compiler/corpus/check.js";
import { writeFileAtomic } from "../../compiler/fs/atomic-write.js";
import { coverageHtml } from "../report/html.js";
import { EXIT, parse, printJson, UsageError } from "../../compiler/cli/args.js";
import { printCheckSummary } from "../../compiler/cli/spec-check.js";
import { collectBindings } from "../coverage/bindings.js";
import { computeCoverage, gate, overallState, type CoverageReport } from "../coverage/coverage.js";
import { loadWaivers, type WaiverSet } from "../coverage/waivers.js";
import { evidenceDir, readRuns, type RecordedRun } from "../results/store.js";

const OPTIONS = {
  json: { type: "boolean" },
  specs: { type: "string" },
  waivers: { type: "string" },
  evidence: { type: "string" },
  today: { type: "string" },
} as const;

function build(values: { specs?: string; waivers?: string; evidence?: string; today?: string }): { report: CoverageReport; waivers: WaiverSet; catalogue: Catalogue; runs: RecordedRun[] } {
  const check = checkCorpus(values.specs ?? "specs");
  if (check.totals.errors > 0) {
    printCheckSummary(check, process.stderr);
    throw new UsageError("the specs have errors; fix them before computing coverage");
  }
  const today = values.today ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new UsageError(`--today must be YYYY-MM-DD, not "${today}"`);
  const scenarios = new Map(check.catalogue.scenarios.map((s) => [s.id, s]));
  const waivers = loadWaivers(values.waivers ?? join("conformance", "waivers.toml"), scenarios, today);
  const runs = readRuns(values.evidence ?? evidenceDir());
  return { report: computeCoverage(check.catalogue, collectBindings(), runs, waivers), waivers, catalogue: check.catalogue, runs };
}

function printLevels(report: CoverageReport): void {
  process.stdout.write("level      total  bound  unbound  waived  passed  failed\n");
  for (const l of report.levels) {
    process.stdout.write(`${l.level.padEnd(9)} ${String(l.total).padStart(6)} ${String(l.bound).padStart(6)} ${String(l.unbound).padStart(8)} ${String(l.waived).padStart(7)} ${String(l.passed).padStart(7)} ${String(l.failed).padStart(7)}\n`);
  }
}

export async function coverageCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, OPTIONS, 0);
  const { report, waivers } = build(values);
  if (values.json) {
    printJson({ ...report, waiverProblems: waivers.problems, expiredWaivers: waivers.expired });
    return EXIT.ok;
  }
  for (const e of report.entries) {
    const results = Object.entries(e.results).map(([t, r]) => `${t}=${r.state}`).join(" ") || "no result";
    const binding = e.bound ? e.tests.map((t) => `${t.file} [${t.targets.join(",")}]`).join("; ") : e.waiver ? `waived (${e.waiver.kind} until ${e.waiver.expires})` : e.status === "planned" ? "unbound (planned)" : "UNBOUND";
    process.stdout.write(`${e.id.padEnd(48)} ${e.level.padEnd(8)} ${results.padEnd(16)} ${binding}\n`);
  }
  printLevels(report);
  const t = report.totals;
  process.stdout.write(`${t.scenarios} scenarios: ${t.bound} bound (${t.passed} passing, ${t.failed} failing, ${t.notRun} not run), ${t.unbound} unbound (${t.waived} waived, ${t.planned} planned overall)\n`);
  return EXIT.ok;
}

export async function gateCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...OPTIONS, "require-bound": { type: "boolean" } }, 0);
  const { report, waivers } = build(values);
  const verdict = gate(report, waivers, { requireBound: Boolean(values["require-bound"]) });
  if (values.json) printJson({ ...verdict, levels: report.levels, totals: report.totals });
  else {
    printLevels(report);
    for (const f of verdict.failures) process.stdout.write(`FAIL ${f}\n`);
    const t = report.totals;
    process.stdout.write(`unbound scenarios: ${t.unbound} of ${t.scenarios} (${t.waived} waived)${values["require-bound"] ? "" : "; not required yet"}\n`);
    const skippedOnly = report.entries.filter((e) => e.bound && overallState(e) === "skipped").length;
    process.stdout.write(`conformance: ${t.passed} passed, ${t.failed} failed, ${skippedOnly + t.notRun} skipped\n`);
  }
  return verdict.ok ? EXIT.ok : EXIT.findings;
}

export async function reportCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...OPTIONS, out: { type: "string" } }, 0);
  const { report, waivers, catalogue, runs } = build(values);
  const out = values.out ?? join(values.evidence ?? evidenceDir(), "report");
  writeFileAtomic(join(out, "index.html"), coverageHtml(catalogue, report, waivers, runs, new Date().toISOString()));
  writeFileAtomic(join(out, "coverage.json"), JSON.stringify({ ...report, waiverProblems: waivers.problems, expiredWaivers: waivers.expired }, null, 2) + "\n");
  if (values.json) printJson({ ok: true, out, files: ["index.html", "coverage.json"] });
  else process.stdout.write(`report: ${join(out, "index.html")}\n`);
  return EXIT.ok;
}
