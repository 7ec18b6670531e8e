import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { beforeAll, expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import type { ScenarioId } from "../../generated/scenarios.js";
import { collectBindings } from "../../conformance/coverage/bindings.js";
import type { RunEvent, TestEvent } from "../../conformance/results/events.js";
import { REPO } from "../helpers/spec-fixtures.js";

const CONFIG = "tests/fixtures/conformance-run/vitest.config.ts";
let runDir = "";
let events: RunEvent[] = [];

beforeAll(() => {
  const evidence = mkdtempSync(join(tmpdir(), "atomicnix-evidence-"));
  const child = spawnSync(process.execPath, [join(REPO, "node_modules", "vitest", "vitest.mjs"), "run", "--config", CONFIG], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...process.env, ATOMICNIX_EVIDENCE: evidence, ATOMICNIX_TARGET: "host", ATOMICNIX_IMAGE_HASH: "sha256:feed" },
  });
  // The fixture suite fails on purpose (one bound scenario throws).
  expect(child.status).toBe(1);
  const runs = readdirSync(join(evidence, "runs"));
  expect(runs).toHaveLength(1);
  runDir = join(evidence, "runs", runs[0]!);
  events = readFileSync(join(runDir, "events.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as RunEvent);
}, 120_000);

const onHost = { targets: ["host"] } as const;
const tests = () => events.filter((e): e is TestEvent => e.type === "test");

scenario("conf.results.ndjson", onHost, () => {
  const [first, ...rest] = events;
  if (first?.type !== "run-start") throw new Error(`first event is ${first?.type}, not run-start`);
  expect(first.meta.revision).toMatch(/^[0-9a-f]{40}$/);
  expect(typeof first.meta.dirty).toBe("boolean");
  expect(first.meta).toMatchObject({ target: "host", imageHash: "sha256:feed" });
  expect(Date.parse(first.meta.startedAt)).not.toBeNaN();
  expect(rest[rest.length - 1]!.type).toBe("run-end");
  const byScenario = Object.fromEntries(tests().filter((t) => t.scenario).map((t) => [t.scenario, t.state]));
  expect(byScenario).toEqual({ "spec.ids.missing": "passed", "spec.ids.malformed": "failed", "spec.ids.prefix": "skipped" });
  const failed = tests().find((t) => t.scenario === "spec.ids.malformed")!;
  expect(failed.errors.join("\n")).toContain("boom <&> on purpose");
  expect(tests().find((t) => t.scenario === "spec.ids.missing")!.durationMs).toBeGreaterThanOrEqual(0);
  const end = rest[rest.length - 1]!;
  if (end.type === "run-end") expect(end.totals).toEqual({ tests: 4, passed: 2, failed: 1, skipped: 1 });
});

scenario("conf.binding.target-skip", onHost, () => {
  const skipped = tests().find((t) => t.scenario === "spec.ids.prefix")!;
  expect(skipped.state).toBe("skipped");
  expect(skipped.name).toMatch(/runs on vm, container; this run targets host/);
  expect(skipped.targets).toEqual(["vm", "container"]);
});

scenario("conf.results.junit", onHost, () => {
  const xml = readFileSync(join(runDir, "junit.xml"), "utf8");
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml);
  const suite = doc.testsuites.testsuite;
  const cases = [suite.testcase].flat() as { name: string; failure?: { message: string }; skipped?: unknown; properties?: { property: { name: string; value: string }[] } }[];
  expect(cases).toHaveLength(4);
  expect(doc.testsuites).toMatchObject({ tests: "4", failures: "1", skipped: "1" });
  const failing = cases.find((c) => c.name.startsWith("spec.ids.malformed"))!;
  expect(failing.failure!.message).toContain("boom <&> on purpose");
  expect(failing.properties!.property).toEqual([{ name: "scenario", value: "spec.ids.malformed" }, { name: "target", value: "host" }]);
  expect(cases.find((c) => c.name.startsWith("spec.ids.prefix"))!.skipped).toBeDefined();
});

scenario("conf.binding.collect", { targets: ["host"], timeout: 120_000 }, () => {
  const bindings = collectBindings(REPO, CONFIG);
  expect(bindings.map((b) => [b.scenario, b.targets, b.file])).toEqual([
    ["spec.ids.missing", ["host"], "tests/fixtures/conformance-run/sample.fixture.ts"],
    ["spec.ids.malformed", ["host"], "tests/fixtures/conformance-run/sample.fixture.ts"],
    ["spec.ids.prefix", ["vm", "container"], "tests/fixtures/conformance-run/sample.fixture.ts"],
  ]);
});

scenario("conf.binding.unknown-id", onHost, () => {
  expect(() => scenario("spec.ids.no-such-thing" as ScenarioId, onHost, () => {})).toThrow(/spec\.ids\.no-such-thing/);
  expect(() => scenario("spec.ids.missing", { targets: [] }, () => {})).toThrow(/targets/);
});
