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

export interface RunEndEvent {
  type: "run-end";
  runId: string;
  finishedAt: string;
  totals: { tests: number; passed: number; failed: number; skipped: number };
  unhandledErrors: string[];
}

export type RunEvent = RunStartEvent | TestEvent | RunEndEvent;
