import type { Level } from "../../lib/levels.js";
import type { TargetKind } from "../targets.js";
import type { TestEvent } from "../results/events.js";
import type { RecordedRun } from "../results/store.js";

/**
 * Which target kinds can prove a scenario of each level. A host run checks code and
 * small builds, not built firmware or a booted gateway, so it never stands in for an
 * artifact or device result; hardware needs a board run whose attestation verifies.
 */
export const PROVING_TARGETS: Readonly<Record<Level, readonly TargetKind[]>> = {
  static: ["host"],
  unit: ["host"],
  artifact: ["artifacts"],
  device: ["container", "vm", "ssh"],
  hardware: ["ssh"],
};

/** What the gate judges against: the commit under test. */
export interface ProofContext {
  revision: string | null;
}

type ProofState = "proven" | "failed" | "skipped" | "stale" | "dirty" | "wrong-target" | "not-run" | "unrunnable" | "unbound";

export interface Proof {
  state: ProofState;
  /** what is missing or wrong, for the gate message */
  detail: string;
  runId?: string;
  target?: string;
}

interface Observation {
  run: RecordedRun;
  test: TestEvent;
}

const short = (rev: string | null | undefined) => (rev ? rev.slice(0, 12) : "unknown revision");

/** A run counts for the current commit only when it ran that commit from a clean tree and finished. */
export function isCurrent(run: RecordedRun, ctx: ProofContext): boolean {
  return ctx.revision !== null && run.start.meta.revision === ctx.revision && run.start.meta.dirty === false && run.finished;
}

/** Hardware proof needs the board run's attestation to have verified when the evidence was read. */
function proves(run: RecordedRun, level: Level): boolean {
  if (!PROVING_TARGETS[level].includes(run.start.meta.target)) return false;
  return level !== "hardware" || run.attestation?.verified === true;
}

function observationsOf(scenario: string, runs: readonly RecordedRun[]): Observation[] {
  const out: Observation[] = [];
  for (const run of runs) for (const test of run.tests) if (test.scenario === scenario) out.push({ run, test });
  return out;
}

const firstLine = (t: TestEvent) => (t.errors[0] ?? "").split("\n")[0]?.slice(0, 200) ?? "";

/**
 * Judges one bound scenario: proven only by a pass at the current commit, from a clean
 * tree, in a finished run, on a target that proves its level, with no failure at the
 * current commit anywhere. Otherwise says precisely what is missing.
 */
export function judge(scenario: string, level: Level, boundTargets: readonly string[], runs: readonly RecordedRun[], ctx: ProofContext): Proof {
  const need = PROVING_TARGETS[level];
  const needText = `${level} level needs a pass on ${need.join(" or ")}${level === "hardware" ? " with a verified attestation" : ""}`;
  const obs = observationsOf(scenario, runs);
  const current = obs.filter((o) => isCurrent(o.run, ctx));
  const failed = current.find((o) => o.test.state === "failed");
  if (failed) {
    const why = firstLine(failed.test);
    return { state: "failed", runId: failed.run.start.meta.runId, target: failed.run.start.meta.target, detail: `failed on ${failed.run.start.meta.target} in run ${failed.run.start.meta.runId}${why ? `: ${why}` : ""}` };
  }
  const proving = current.filter((o) => proves(o.run, level));
  const passed = proving.filter((o) => o.test.state === "passed").at(-1);
  if (passed) return { state: "proven", runId: passed.run.start.meta.runId, target: passed.run.start.meta.target, detail: `passed on ${passed.run.start.meta.target} in run ${passed.run.start.meta.runId}` };
  if (!boundTargets.some((t) => (need as readonly string[]).includes(t))) {
    return { state: "unrunnable", detail: `bound only to ${boundTargets.join(", ")}; ${needText}` };
  }
  const skipped = proving.filter((o) => o.test.state === "skipped").at(-1);
  if (skipped) {
    return { state: "skipped", runId: skipped.run.start.meta.runId, target: skipped.run.start.meta.target, detail: `skipped on ${skipped.run.start.meta.target} in run ${skipped.run.start.meta.runId}${skipped.test.skipReason ? ` (${skipped.test.skipReason})` : ""}; ${needText}` };
  }
  const passes = obs.filter((o) => o.test.state === "passed");
  const dirty = passes.filter((o) => o.run.start.meta.revision === ctx.revision && o.run.start.meta.dirty !== false && proves(o.run, level)).at(-1);
  if (dirty) return { state: "dirty", runId: dirty.run.start.meta.runId, detail: `passed on ${dirty.run.start.meta.target} only in run ${dirty.run.start.meta.runId}, from a dirty tree; ${needText} from a clean checkout` };
  const unattested = current.filter((o) => o.test.state === "passed" && PROVING_TARGETS[level].includes(o.run.start.meta.target)).at(-1);
  if (unattested) return { state: "wrong-target", runId: unattested.run.start.meta.runId, detail: `passed on ${unattested.run.start.meta.target} in run ${unattested.run.start.meta.runId}, but that run has no verified attestation; ${needText}` };
  const stale = passes.filter((o) => o.run.start.meta.revision !== ctx.revision && proves(o.run, level)).at(-1);
  if (stale) return { state: "stale", runId: stale.run.start.meta.runId, detail: `last pass on ${stale.run.start.meta.target} in run ${stale.run.start.meta.runId} is at revision ${short(stale.run.start.meta.revision)}, not the current ${short(ctx.revision)}; ${needText}` };
  const elsewhere = current.filter((o) => o.test.state === "passed").at(-1);
  if (elsewhere) return { state: "wrong-target", runId: elsewhere.run.start.meta.runId, detail: `passed on ${elsewhere.run.start.meta.target} in run ${elsewhere.run.start.meta.runId}, but the ${needText}` };
  return { state: "not-run", detail: `no result at revision ${short(ctx.revision)}; ${needText}` };
}

/** Run-level reasons to distrust the evidence of the current commit. */
export function runProblems(runs: readonly RecordedRun[], ctx: ProofContext): string[] {
  const out: string[] = [];
  for (const run of runs) {
    const m = run.start.meta;
    if (m.revision !== ctx.revision) continue;
    if (!run.finished) out.push(`run ${m.runId} (${m.target}) never finished: no run-end event in ${run.dir}/events.ndjson`);
    if (run.unhandledErrors.length) out.push(`run ${m.runId} (${m.target}) had ${run.unhandledErrors.length} unhandled error(s): ${run.unhandledErrors[0]!.split("\n")[0]}`);
    for (const module of run.moduleErrors) out.push(`run ${m.runId} (${m.target}): ${module.file} failed outside any test: ${module.error.split("\n")[0]}`);
    if (run.attestation && !run.attestation.verified) out.push(`run ${m.runId} (${m.target}): attestation ${run.attestation.file} does not verify: ${run.attestation.problem}`);
  }
  return out;
}
