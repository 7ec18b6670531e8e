import { relative } from "node:path";
import type { Reporter, TestModule, TestCase } from "vitest/node";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import type { ModuleErrorEvent, RunEndEvent, RunEvent, TestEvent } from "./events.js";
import { junitXml } from "./junit.js";
import { collectRunMeta, type RunMeta } from "./run-meta.js";
import { evidenceDir } from "./store.js";
import { join } from "node:path";

const errorText = (e: { message?: string; stack?: string }) => [e.message, e.stack].filter(Boolean).join("\n");

/**
 * One test's event. `setupErrors` are the errors of its file outside any test (a
 * throwing `beforeAll` or `afterAll`, a fixture): vitest then reports the test as
 * skipped, but it never ran or its file did not finish cleanly, so a test meant to
 * run here is recorded as failed with those errors. A test declared skipped (another
 * target's binding) stays skipped.
 */
function testEvent(runId: string, test: TestCase, setupErrors: readonly string[]): TestEvent {
  const result = test.result();
  const meta = test.meta();
  const setupFailed = setupErrors.length > 0 && result.state !== "failed" && result.state !== "passed" && test.options.mode === "run";
  const state = setupFailed ? "failed" : result.state === "passed" || result.state === "failed" ? result.state : "skipped";
  const errors = setupFailed ? setupErrors.map((e) => `setup of ${relative(process.cwd(), test.module.moduleId)} failed (a hook or fixture outside the test): ${e}`) : result.state === "failed" ? (result.errors ?? []).map(errorText) : [];
  const note = result.state === "skipped" && !setupFailed ? result.note : undefined;
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
 * metadata, one event per test, totals) and `junit.xml`. The run-start event is
 * written first, alone, so a run that crashes stays visible as one that never
 * finished; the whole file is rewritten atomically at the end.
 */
export default class EvidenceReporter implements Reporter {
  private meta: RunMeta = collectRunMeta();

  private dir(): string {
    return join(evidenceDir(), "runs", this.meta.runId);
  }

  onTestRunStart(): void {
    this.meta = collectRunMeta();
    writeFileAtomic(join(this.dir(), "events.ndjson"), JSON.stringify({ type: "run-start", meta: this.meta }) + "\n");
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<{ message?: string }>, reason?: string): void {
    const tests: TestEvent[] = [];
    const moduleErrors: ModuleErrorEvent[] = [];
    for (const m of modules) {
      const setup = m.errors().map(errorText);
      const list = [...m.children.allTests()];
      tests.push(...list.map((t) => testEvent(this.meta.runId, t, setup)));
      if (setup.length && list.length === 0) moduleErrors.push(...setup.map((error) => ({ type: "module-error" as const, runId: this.meta.runId, file: relative(process.cwd(), m.moduleId), error })));
    }
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
      ...(reason ? { reason } : {}),
    };
    const events: RunEvent[] = [{ type: "run-start", meta: this.meta }, ...tests, ...moduleErrors, end];
    const dir = this.dir();
    writeFileAtomic(join(dir, "events.ndjson"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
    writeFileAtomic(join(dir, "junit.xml"), junitXml(this.meta, tests, finishedAt));
    process.stdout.write(`evidence: ${relative(process.cwd(), dir)} (${end.totals.passed} passed, ${end.totals.failed} failed, ${end.totals.skipped} skipped)\n`);
  }
}
