/**
 * The evidence reporter against suites that break outside their tests: a throwing
 * beforeAll (vitest reports its tests as skipped) and a run killed before its end.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import type { RunEvent, TestEvent } from "../../conformance/results/events.js";
import { readRuns } from "../../conformance/results/store.js";
import { REPO } from "../helpers/spec-fixtures.js";

const CONFIG = "tests/fixtures/conformance-setup/vitest.config.ts";
const VITEST = join(REPO, "node_modules", "vitest", "vitest.mjs");
const onHost = { targets: ["host"], timeout: 120_000 } as const;

const eventsOf = (evidence: string): RunEvent[] => {
  const [run] = readdirSync(join(evidence, "runs"));
  return readFileSync(join(evidence, "runs", run!, "events.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as RunEvent);
};

scenario("conf.results.setup-failure", onHost, () => {
  const evidence = mkdtempSync(join(tmpdir(), "atomicnix-evidence-setup-"));
  const child = spawnSync(process.execPath, [VITEST, "run", "--config", CONFIG], { cwd: REPO, encoding: "utf8", env: { ...process.env, ATOMICNIX_EVIDENCE: evidence, ATOMICNIX_TARGET: "host" } });
  expect(child.status).toBe(1);
  const tests = eventsOf(evidence).filter((e): e is TestEvent => e.type === "test");
  expect(tests.map((t) => [t.scenario, t.state])).toEqual([["spec.ids.missing", "failed"], ["spec.ids.malformed", "failed"], ["spec.ids.prefix", "skipped"]]);
  for (const t of tests.filter((x) => x.state === "failed")) expect(t.errors.join("\n")).toMatch(/^setup of tests\/fixtures\/conformance-setup\/setup\.fixture\.ts failed \(a hook or fixture outside the test\): .*fixture setup failed on purpose/);
});

scenario("conf.results.unfinished", onHost, async () => {
  const evidence = mkdtempSync(join(tmpdir(), "atomicnix-evidence-hang-"));
  const child = spawn(process.execPath, [VITEST, "run", "--config", CONFIG], { cwd: REPO, stdio: "ignore", detached: true, env: { ...process.env, ATOMICNIX_EVIDENCE: evidence, ATOMICNIX_TARGET: "host", ATOMICNIX_FIXTURE_HANG: "1" } });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    // the run-start event is on disk as soon as the run starts; wait for it, then kill the run
    const deadline = Date.now() + 60_000;
    while (!(existsSync(join(evidence, "runs")) && readdirSync(join(evidence, "runs")).length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    process.kill(-child.pid!, "SIGKILL");
    await exited;
  }
  const events = eventsOf(evidence);
  expect(events.map((e) => e.type)).toEqual(["run-start"]);
  const [run] = readRuns(evidence);
  expect(run!.finished).toBe(false);
});
