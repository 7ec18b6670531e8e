import type { Catalogue, CatalogueScenario } from "../../compiler/corpus/check.js";
import { LEVELS, type Level } from "../../lib/levels.js";
import { formatProblem } from "../../lib/problem.js";
import type { CollectedBinding } from "../binding.js";
import type { TestState } from "../results/events.js";
import type { RecordedRun } from "../results/store.js";
import { isCurrent, judge, runProblems, type Proof, type ProofContext } from "./proof.js";
import type { Waiver, WaiverSet } from "./waivers.js";

interface TargetResult {
  state: TestState;
  runId: string;
  at: string;
  durationMs: number;
  revision: string | null;
}

/** What the gate concludes about one scenario. */
export type Verdict = "proven" | "failed" | "waived" | "not-proven" | "planned";

export interface CoverageEntry {
  id: string;
  title: string;
  capability: string;
  requirement: string;
  level: Level;
  status: "planned" | "implemented";
  source: string;
  bound: boolean;
  tests: { file: string; test: string; targets: string[] }[];
  waiver?: Waiver;
  /** last result per target, over every recorded run (for display) */
  results: Record<string, TargetResult>;
  proof: Proof;
  verdict: Verdict;
}

interface LevelCount {
  level: Level;
  total: number;
  bound: number;
  unbound: number;
  waived: number;
  passed: number;
  failed: number;
  notProven: number;
}

export interface CoverageReport {
  revision: string | null;
  entries: CoverageEntry[];
  levels: LevelCount[];
  totals: { scenarios: number; bound: number; unbound: number; waived: number; planned: number; passed: number; failed: number; notProven: number };
}

function lastResults(runs: readonly RecordedRun[]): Map<string, Record<string, TargetResult>> {
  const results = new Map<string, Record<string, TargetResult>>();
  for (const run of runs) {
    for (const t of run.tests) {
      if (!t.scenario) continue;
      const perTarget = results.get(t.scenario) ?? {};
      const prev = perTarget[run.start.meta.target];
      // Several tests may bind one scenario: within a run, a failure wins.
      if (prev && prev.runId === run.start.meta.runId && prev.state === "failed") continue;
      perTarget[run.start.meta.target] = { state: t.state, runId: run.start.meta.runId, at: run.start.meta.startedAt, durationMs: t.durationMs, revision: run.start.meta.revision };
      results.set(t.scenario, perTarget);
    }
  }
  return results;
}

function count(list: readonly CoverageEntry[]) {
  return {
    bound: list.filter((e) => e.bound).length,
    unbound: list.filter((e) => !e.bound).length,
    waived: list.filter((e) => e.verdict === "waived").length,
    passed: list.filter((e) => e.verdict === "proven").length,
    failed: list.filter((e) => e.verdict === "failed").length,
    notProven: list.filter((e) => e.verdict === "not-proven").length,
  };
}

export function computeCoverage(catalogue: Catalogue, bindings: readonly CollectedBinding[], runs: readonly RecordedRun[], waivers: WaiverSet, ctx: ProofContext): CoverageReport {
  const byScenario = new Map<string, CollectedBinding[]>();
  for (const b of bindings) byScenario.set(b.scenario, [...(byScenario.get(b.scenario) ?? []), b]);
  const waiverOf = new Map(waivers.waivers.map((w) => [w.scenario, w]));
  const results = lastResults(runs);
  const entries: CoverageEntry[] = catalogue.scenarios.map((s: CatalogueScenario) => {
    const tests = (byScenario.get(s.id) ?? []).map((b) => ({ file: b.file, test: b.test, targets: b.targets }));
    const waiver = waiverOf.get(s.id);
    const proof: Proof = tests.length ? judge(s.id, s.level, [...new Set(tests.flatMap((t) => t.targets))], runs, ctx) : { state: "unbound", detail: "not bound to any test" };
    const verdict: Verdict = s.status === "planned" ? "planned" : proof.state === "proven" ? "proven" : proof.state === "failed" ? "failed" : waiver ? "waived" : "not-proven";
    return {
      id: s.id,
      title: s.title,
      capability: s.capability,
      requirement: s.requirement,
      level: s.level,
      status: s.status,
      source: `${s.file}:${s.line}`,
      bound: tests.length > 0,
      tests,
      ...(waiver ? { waiver } : {}),
      results: results.get(s.id) ?? {},
      proof,
      verdict,
    };
  });
  const levels = LEVELS.map((level) => {
    const list = entries.filter((e) => e.level === level);
    return { level, total: list.length, ...count(list) };
  });
  return { revision: ctx.revision, entries, levels, totals: { scenarios: entries.length, planned: entries.filter((e) => e.status === "planned").length, ...count(entries) } };
}

export interface GateVerdict {
  ok: boolean;
  failures: string[];
  warnings: string[];
}

/**
 * Passes only on proof: every implemented scenario proven at the current commit on a
 * target that proves its level, or covered by a valid waiver. Each failure names the
 * scenario, its source line and what is missing.
 */
export function gate(report: CoverageReport, waivers: WaiverSet, runs: readonly RecordedRun[], options: { requireBound: boolean }): GateVerdict {
  const failures: string[] = [];
  const warnings: string[] = [];
  const ctx: ProofContext = { revision: report.revision };
  if (runs.length === 0) failures.push("no evidence: no run is recorded (run the test suites first; evidence/runs/ is empty)");
  else if (!runs.some((r) => isCurrent(r, ctx))) failures.push(`no finished run from a clean tree at the current revision ${report.revision ?? "(unknown: not a git checkout?)"}`);
  failures.push(...runProblems(runs, ctx));
  for (const p of waivers.problems) failures.push(formatProblem(p));
  for (const w of waivers.expired) failures.push(`waiver for ${w.scenario} expired on ${w.expires}`);
  for (const e of report.entries) {
    if (e.status === "planned") continue;
    if (e.verdict === "failed") failures.push(`${e.id} (${e.source}): ${e.proof.detail}`);
    else if (e.verdict === "not-proven") {
      if (!e.bound) {
        if (options.requireBound) failures.push(`${e.id} (${e.source}): not bound to any test and not waived (${e.level} level)`);
      } else failures.push(`${e.id} (${e.source}): not proven: ${e.proof.detail}`);
    } else if (e.verdict === "proven" && e.waiver) warnings.push(`${e.id} (${e.source}): waiver no longer needed: ${e.proof.detail}; drop it from the waiver file`);
  }
  return { ok: failures.length === 0, failures, warnings };
}
