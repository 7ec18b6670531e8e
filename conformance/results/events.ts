import type { RunMeta } from "./run-meta.js";

export type TestState = "passed" | "failed" | "skipped";

export interface TestEvent {
  type: "test";
  runId: string;
  scenario: string | null;
  targets: string[] | null;
  name: string;
  file: string;
  state: TestState;
  durationMs: number;
  errors: string[];
  skipReason?: string;
  /** the target's own record of what happened during the test (TaskMeta.observations) */
  observations?: unknown;
}

export interface RunStartEvent {
  type: "run-start";
  meta: RunMeta;
}

/** A test file that failed outside its tests (import error, or a hook with no test to pin it on). */
export interface ModuleErrorEvent {
  type: "module-error";
  runId: string;
  file: string;
  error: string;
}

export interface RunEndEvent {
  type: "run-end";
  runId: string;
  finishedAt: string;
  totals: { tests: number; passed: number; failed: number; skipped: number };
  unhandledErrors: string[];
  /** vitest's reason for ending: passed, failed or interrupted */
  reason?: string;
}

export type RunEvent = RunStartEvent | TestEvent | ModuleErrorEvent | RunEndEvent;
