import { relative } from "node:path";
import type { Reporter, TestModule, TestCase } from "vitest/node";
import { writeFileAtomic } from "../../compiler/fs/atomic-write.js";
import type { RunEndEvent, RunEvent, TestEvent } from "./events.js";
import { junitXml } from "./junit.js";
import { collectRunMeta, type RunMeta } from "./run-meta.js";
import { evidenceDir } from "./store.js";
import { join } from "node:path";

function testEvent(runId: string, test: TestCase): TestEvent {
  const result = test.result();
  const meta = test.meta();
  const state = result.state === "passed" || result.state === "failed" ? result.state : "skipped";
  const errors = result.state === "failed" ? (result.errors ?? []).map((e) => [e.message, e.stack].filter(Boolean).join("\n")) : [];
  const note = result.state === "skipped" ? result.note : undefined;
  return {
    type: "test",
    runId,
    scenario: meta.scenario ?? null,
    targets: meta.targets ?? null,
    name: test.fullName,
    file: relative(process.cwd(), test.module.moduleId),
    state,
    durationMs: Math.round(test.diagnostic()?.duration ?? 0),
    errors,
    ...(note ? { skipReason: note } : {}),
    ...(meta.observations !== undefined ? { observations: meta.observations } : {}),
  };
}

/**
 * Records every vitest run as evidence: `evidence/runs/<run>/events.ndjson` (run
 * metadata, one event per test, totals) and `junit.xml`. Both are written at the
 * end of the run, atomically, so a crashed run leaves no half file behind.
 */
export default class EvidenceReporter implements Reporter {
  private meta: RunMeta = collectRunMeta();

  onTestRunStart(): void {
    this.meta = collectRunMeta();
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<{ message?: string }>): void {
    const tests = modules.flatMap((m) => [...m.children.allTests()]).map((t) => testEvent(this.meta.runId, t));
    const finishedAt = new Date().toISOString();
    const end: RunEndEvent = {
      type: "run-end",
      runId: this.meta.runId,
      finishedAt,
      totals: {
        tests: tests.length,
        passed: tests.filter((t) => t.state === "passed").length,
        failed: tests.filter((t) => t.state === "failed").length,
        skipped: tests.filter((t) => t.state === "skipped").length,
      },
      unhandledErrors: unhandled.map((e) => e.message ?? String(e)),
    };
    const events: RunEvent[] = [{ type: "run-start", meta: this.meta }, ...tests, end];
    const dir = join(evidenceDir(), "runs", this.meta.runId);
    writeFileAtomic(join(dir, "events.ndjson"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
    writeFileAtomic(join(dir, "junit.xml"), junitXml(this.meta, tests, finishedAt));
    process.stdout.write(`evidence: ${relative(process.cwd(), dir)} (${end.totals.passed} passed, ${end.totals.failed} failed, ${end.totals.skipped} skipped)\n`);
  }
}
