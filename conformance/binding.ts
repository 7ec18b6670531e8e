import { appendFileSync } from "node:fs";
import { relative } from "node:path";
import { expect, test, type TestContext } from "vitest";
import { SCENARIOS, type ScenarioId, type ScenarioInfo } from "../generated/scenarios.js";
import { currentTarget, TARGET_KINDS, type TargetKind } from "./targets.js";

declare module "vitest" {
  interface TaskMeta {
    scenario?: string;
    targets?: string[];
    level?: string;
    /** what the target observed during the test (e.g. the VM's boots with U-Boot's console lines), kept in the evidence */
    observations?: unknown;
  }
}

export interface BindingOptions {
  /** target kinds this test can run on */
  targets: readonly TargetKind[];
  timeout?: number;
}

export interface ScenarioRun {
  scenario: ScenarioInfo & { id: ScenarioId };
  target: TargetKind;
  context: TestContext;
}

/** A binding as the coverage collector records it. */
export interface CollectedBinding {
  scenario: string;
  targets: string[];
  file: string;
  test: string;
}

function testName(id: string, title: string): string {
  return `${id}: ${title}`;
}

/**
 * Binds a vitest test to a scenario of the catalogue. The ID is typed, so a binding
 * to a scenario that does not exist fails type-checking; the run-time check covers
 * plain JavaScript callers and stale catalogues.
 */
export function scenario(id: ScenarioId, options: BindingOptions, fn: (run: ScenarioRun) => unknown): void {
  const info = (SCENARIOS as Readonly<Record<string, ScenarioInfo>>)[id];
  if (!info) throw new Error(`scenario("${id}"): no such scenario ID in generated/scenarios.ts (run npx atomicnix spec compile?)`);
  const unknown = options.targets.filter((t) => !(TARGET_KINDS as readonly string[]).includes(t));
  if (options.targets.length === 0 || unknown.length) throw new Error(`scenario("${id}"): targets must be a non-empty list of ${TARGET_KINDS.join(", ")}`);
  const name = testName(id, info.title);
  const collectFile = process.env.ATOMICNIX_COLLECT;
  if (collectFile) {
    const file = expect.getState().testPath ?? "";
    const record: CollectedBinding = { scenario: id, targets: [...options.targets], file: file && relative(process.cwd(), file), test: name };
    appendFileSync(collectFile, JSON.stringify(record) + "\n");
  }
  const meta = { scenario: id, targets: [...options.targets], level: info.level };
  const target = currentTarget();
  if (!options.targets.includes(target)) {
    test.skip(`${name} (runs on ${options.targets.join(", ")}; this run targets ${target})`, { meta }, () => {});
    return;
  }
  test(name, { meta, ...(options.timeout ? { timeout: options.timeout } : {}) }, async (context) => {
    await fn({ scenario: { ...info, id }, target, context });
  });
}
