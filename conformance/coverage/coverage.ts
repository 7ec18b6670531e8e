import type { Catalogue, CatalogueScenario } from "../../compiler/corpus/check.js";
import { LEVELS, type Level } from "../../compiler/spec/model.js";
import type { CollectedBinding } from "../binding.js";
import type { TestState } from "../results/events.js";
import type { RecordedRun } from "../results/store.js";
import type { Waiver, WaiverSet } from "./waivers.js";

export interface TargetResult {
  state: TestState;
  runId: string;
  at: string;
  durationMs: number;
  revision: string | null;
}

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
  results: Record<string, TargetResult>;
}

export interface LevelCount {
  level: Level;
  total: number;
  bound: number;
  unbound: number;
  waived: number;
  passed: number;
  failed: number;
}

export interface CoverageReport {
  entries: CoverageEntry[];
  levels: LevelCount[];
  totals: { scenarios: number; bound: number; unbound: number; waived: number; planned: number; passed: number; failed: number; notRun: number };
}

/** Worst-first: a failed result on any target outweighs passes elsewhere. */
export function overallState(entry: CoverageEntry): TestState | "not-run" {
  const states = Object.values(entry.results).map((r) => r.state);
  if (states.includes("failed")) return "failed";
  if (states.includes("passed")) return "passed";
  return states.length ? "skipped" : "not-run";
}

export function computeCoverage(catalogue: Catalogue, bindings: readonly CollectedBinding[], runs: readonly RecordedRun[], waivers: WaiverSet): CoverageReport {
  const byScenario = new Map<string, CollectedBinding[]>();
  for (const b of bindings) byScenario.set(b.scenario, [...(byScenario.get(b.scenario) ?? []), b]);
  const waiverOf = new Map(waivers.waivers.map((w) => [w.scenario, w]));
  // Runs come oldest first, so later results overwrite earlier ones per target; a
  // skipped test never hides an earlier real verdict on the same target.
  const results = new Map<string, Record<string, TargetResult>>();
  for (const run of runs) {
    for (const t of run.tests) {
      if (!t.scenario) continue;
      const perTarget = results.get(t.scenario) ?? {};
      const prev = perTarget[run.start.meta.target];
      if (t.state === "skipped" && prev && prev.state !== "skipped") continue;
      // Several tests may bind one scenario: within a run, a failure wins.
      if (prev && prev.runId === run.start.meta.runId && prev.state === "failed") continue;
      perTarget[run.start.meta.target] = { state: t.state, runId: run.start.meta.runId, at: run.start.meta.startedAt, durationMs: t.durationMs, revision: run.start.meta.revision };
      results.set(t.scenario, perTarget);
    }
  }
  const entries: CoverageEntry[] = catalogue.scenarios.map((s: CatalogueScenario) => {
    const tests = (byScenario.get(s.id) ?? []).map((b) => ({ file: b.file, test: b.test, targets: b.targets }));
    const waiver = waiverOf.get(s.id);
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
    };
  });
  const levels = LEVELS.map((level) => {
    const list = entries.filter((e) => e.level === level);
    return {
      level,
      total: list.length,
      bound: list.filter((e) => e.bound).length,
      unbound: list.filter((e) => !e.bound).length,
      waived: list.filter((e) => !e.bound && e.waiver).length,
      passed: list.filter((e) => e.bound && overallState(e) === "passed").length,
      failed: list.filter((e) => e.bound && overallState(e) === "failed").length,
    };
  });
  return {
    entries,
    levels,
    totals: {
      scenarios: entries.length,
      bound: entries.filter((e) => e.bound).length,
      unbound: entries.filter((e) => !e.bound).length,
      waived: entries.filter((e) => !e.bound && e.waiver).length,
      planned: entries.filter((e) => e.status === "planned").length,
      passed: entries.filter((e) => e.bound && overallState(e) === "passed").length,
      failed: entries.filter((e) => e.bound && overallState(e) === "failed").length,
      notRun: entries.filter((e) => e.bound && overallState(e) === "not-run").length,
    },
  };
}

export interface GateVerdict {
  ok: boolean;
  failures: string[];
}

export function gate(report: CoverageReport, waivers: WaiverSet, options: { requireBound: boolean }): GateVerdict {
  const failures: string[] = [];
  for (const e of report.entries) {
    for (const [target, r] of Object.entries(e.results)) {
      if (e.bound && r.state === "failed") failures.push(`${e.id}: failed on ${target} in run ${r.runId} (${e.source})`);
    }
  }
  for (const p of waivers.problems) failures.push(`waiver ${p.where}: ${p.message}`);
  for (const w of waivers.expired) failures.push(`waiver for ${w.scenario} expired on ${w.expires}`);
  if (options.requireBound) {
    for (const e of report.entries) {
      if (!e.bound && !e.waiver && e.status === "implemented") failures.push(`${e.id}: not bound to any test and not waived (${e.level}, ${e.source})`);
    }
  }
  return { ok: failures.length === 0, failures };
}
