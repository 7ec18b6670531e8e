import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { checkCorpus, type Catalogue } from "../../compiler/corpus/check.js";
import { EXIT, parse, printJson, UsageError } from "../../lib/args.js";
import { problemJson } from "../../lib/problem.js";
import { printCheckSummary } from "../../compiler/cli/spec-check.js";
import { collectBindings } from "../coverage/bindings.js";
import { computeCoverage, gate, type CoverageReport } from "../coverage/coverage.js";
import { loadWaivers, type WaiverSet } from "../coverage/waivers.js";
import { attachAttestations, verifyAttestation, type VerifyOptions } from "../results/attestation.js";
import { evidenceDir, readRuns, type RecordedRun } from "../results/store.js";

export const OPTIONS = {
  json: { type: "boolean" },
  specs: { type: "string" },
  waivers: { type: "string" },
  evidence: { type: "string" },
  today: { type: "string" },
  revision: { type: "string" },
  "allowed-signers": { type: "string" },
  identity: { type: "string" },
} as const;

type Values = { specs?: string; waivers?: string; evidence?: string; today?: string; revision?: string; "allowed-signers"?: string; identity?: string };

/** The commit under judgement: --revision, else the checkout's HEAD. */
function currentRevision(values: Values): string | null {
  if (values.revision) return values.revision;
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** Who may sign bench evidence: conformance/allowed_signers (OpenSSH format) unless told otherwise. */
export function verifyOptions(values: Values, revision: string | null): VerifyOptions {
  return {
    allowedSigners: values["allowed-signers"] ?? process.env.ATOMICNIX_ALLOWED_SIGNERS ?? join("conformance", "allowed_signers"),
    identity: values.identity ?? process.env.ATOMICNIX_SIGNER_IDENTITY ?? "atomicnix-bench",
    revision,
  };
}

export interface Built {
  report: CoverageReport;
  waivers: WaiverSet;
  catalogue: Catalogue;
  runs: RecordedRun[];
  today: string;
}

export function build(values: Values): Built {
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
  const revision = currentRevision(values);
  attachAttestations(runs, verifyOptions(values, revision));
  return { report: computeCoverage(check.catalogue, collectBindings(), runs, waivers, { revision }), waivers, catalogue: check.catalogue, runs, today };
}

function printLevels(report: CoverageReport): void {
  process.stdout.write("level      total  bound  unbound  proven  failed  not-proven  waived\n");
  for (const l of report.levels) {
    process.stdout.write(`${l.level.padEnd(9)} ${String(l.total).padStart(6)} ${String(l.bound).padStart(6)} ${String(l.unbound).padStart(8)} ${String(l.passed).padStart(7)} ${String(l.failed).padStart(7)} ${String(l.notProven).padStart(11)} ${String(l.waived).padStart(7)}\n`);
  }
}

export async function coverageCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, OPTIONS, 0);
  const { report, waivers } = build(values);
  if (values.json) {
    printJson({ ...report, waiverProblems: waivers.problems.map(problemJson), expiredWaivers: waivers.expired });
    return EXIT.ok;
  }
  for (const e of report.entries) {
    const results = Object.entries(e.results).map(([t, r]) => `${t}=${r.state}`).join(" ") || "no result";
    const binding = e.bound ? e.tests.map((t) => `${t.file} [${t.targets.join(",")}]`).join("; ") : e.status === "planned" ? "unbound (planned)" : "UNBOUND";
    const waiver = e.waiver ? ` waived (${e.waiver.kind}, ${e.waiver.scope}, until ${e.waiver.expires})` : "";
    process.stdout.write(`${e.id.padEnd(48)} ${e.level.padEnd(8)} ${e.verdict.padEnd(10)} ${results.padEnd(16)} ${binding}${waiver}\n`);
  }
  printLevels(report);
  const t = report.totals;
  process.stdout.write(`${t.scenarios} scenarios at ${report.revision ?? "unknown revision"}: ${t.passed} proven, ${t.failed} failed, ${t.notProven} not proven, ${t.waived} waived, ${t.planned} planned; ${t.bound} bound, ${t.unbound} unbound\n`);
  return EXIT.ok;
}

export async function gateCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...OPTIONS, "require-bound": { type: "boolean" } }, 0);
  const { report, waivers, runs } = build(values);
  const verdict = gate(report, waivers, runs, { requireBound: Boolean(values["require-bound"]) });
  if (values.json) printJson({ ...verdict, revision: report.revision, levels: report.levels, totals: report.totals });
  else {
    printLevels(report);
    for (const w of verdict.warnings) process.stdout.write(`WARN ${w}\n`);
    for (const f of verdict.failures) process.stdout.write(`FAIL ${f}\n`);
    const t = report.totals;
    process.stdout.write(`unbound scenarios: ${t.unbound} of ${t.scenarios}${values["require-bound"] ? "" : "; not required (run with --require-bound)"}\n`);
    process.stdout.write(`conformance at ${report.revision ?? "unknown revision"}: ${t.passed} proven, ${t.failed} failed, ${t.notProven} not proven, ${t.waived} waived; ${verdict.failures.length} gate failure(s), ${verdict.warnings.length} warning(s)\n`);
  }
  return verdict.ok ? EXIT.ok : EXIT.findings;
}

/**
 * `conformance verify FILE`: the signature (ssh-keygen -Y verify), the subject (the
 * commit and image of the run it sits in) and whether the gate would accept the run.
 */
export async function verifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, 1);
  const file = positionals[0];
  if (!file) throw new UsageError("conformance verify FILE: name an attestation (evidence/runs/<run>/attestation.intoto.json)");
  const revision = currentRevision(values);
  const runDir = dirname(resolve(file));
  const run = existsSync(join(runDir, "events.ndjson")) ? readRuns(dirname(dirname(runDir))).find((r) => resolve(r.dir) === runDir) : undefined;
  const result = verifyAttestation(file, verifyOptions(values, revision), run);
  if (!run) result.problems.push(`${runDir}/events.ndjson: the run's events are not next to the attestation, so its results cannot be checked`);
  const ok = result.problems.length === 0;
  if (values.json) printJson({ ok, file, problems: result.problems, signer: result.signer ?? null, subject: result.statement?.subject ?? null, result: result.statement?.predicate?.result ?? null });
  else {
    for (const p of result.problems) process.stdout.write(`FAIL ${file}: ${p}\n`);
    if (ok) process.stdout.write(`${file}: verified (signature by ${result.signer ?? "an allowed signer"}, commit ${revision}, ${result.statement?.predicate.passedTests.length ?? 0} passed)\n`);
  }
  return ok ? EXIT.ok : EXIT.findings;
}

/** `conformance attest RUN --key KEY`: writes and signs the run's in-toto statement. */
export async function attestCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...OPTIONS, key: { type: "string" } }, 1);
  const id = positionals[0];
  if (!id) throw new UsageError("conformance attest RUN --key KEY: name a run ID or directory under evidence/runs");
  if (!values.key || !existsSync(values.key)) throw new UsageError(`--key ${values.key ?? ""}: an SSH private key file is needed`);
  const runs = readRuns(values.evidence ?? evidenceDir());
  const run = runs.find((r) => r.start.meta.runId === id || resolve(r.dir) === resolve(id));
  if (!run) throw new UsageError(`${id}: no such run under ${join(values.evidence ?? evidenceDir(), "runs")}`);
  const { signRun } = await import("../results/attestation.js");
  const out = signRun(run, values.key);
  if (values.json) printJson({ ok: true, ...out });
  else process.stdout.write(`attestation: ${out.file} (signature ${out.signature})\n`);
  return EXIT.ok;
}
