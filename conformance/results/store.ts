import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ModuleErrorEvent, RunEvent, RunStartEvent, TestEvent } from "./events.js";

export function evidenceDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.ATOMICNIX_EVIDENCE ?? "evidence");
}

export interface RecordedRun {
  start: RunStartEvent;
  tests: TestEvent[];
  finished: boolean;
  dir: string;
  unhandledErrors: string[];
  moduleErrors: ModuleErrorEvent[];
  /** set when the run ships a signed attestation (a bench run): did it verify? */
  attestation?: { file: string; verified: boolean; problem?: string };
}

/** Reads every run under `evidence/runs`, oldest first; an unreadable line is skipped, not fatal. */
export function readRuns(dir = evidenceDir()): RecordedRun[] {
  const runsDir = join(dir, "runs");
  if (!existsSync(runsDir)) return [];
  const runs: RecordedRun[] = [];
  for (const name of readdirSync(runsDir).sort()) {
    const file = join(runsDir, name, "events.ndjson");
    if (!existsSync(file)) continue;
    let start: RunStartEvent | undefined;
    const tests: TestEvent[] = [];
    let finished = false;
    let unhandledErrors: string[] = [];
    const moduleErrors: ModuleErrorEvent[] = [];
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      let event: RunEvent;
      try {
        event = JSON.parse(line) as RunEvent;
      } catch {
        continue;
      }
      if (event.type === "run-start") start = event;
      else if (event.type === "test") tests.push(event);
      else if (event.type === "module-error") moduleErrors.push(event);
      else if (event.type === "run-end") {
        finished = event.reason !== "interrupted";
        unhandledErrors = event.unhandledErrors ?? [];
      }
    }
    if (start) runs.push({ start, tests, finished, dir: join(runsDir, name), unhandledErrors, moduleErrors });
  }
  return runs.sort((a, b) => a.start.meta.startedAt.localeCompare(b.start.meta.startedAt));
}
