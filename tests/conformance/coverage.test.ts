import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import type { Catalogue, CatalogueScenario } from "../../compiler/corpus/check.js";
import { computeCoverage, gate } from "../../conformance/coverage/coverage.js";
import { loadWaivers, type WaiverSet } from "../../conformance/coverage/waivers.js";
import type { RecordedRun } from "../../conformance/results/store.js";
import type { TestState } from "../../conformance/results/events.js";

const onHost = { targets: ["host"] } as const;

function sc(id: string, level: CatalogueScenario["level"], extra: Partial<CatalogueScenario> = {}): CatalogueScenario {
  return { id, title: id, requirement: id.split(".").slice(0, -1).join("."), capability: "demo", level, status: "implemented", steps: [], file: "demo/spec.md", line: 1, ...extra };
}

const SCENARIOS = [sc("demo.a.one", "unit"), sc("demo.a.two", "device"), sc("demo.b.hw", "hardware", { planStep: "3.2" }), sc("demo.c.later", "device", { status: "planned" })];
const catalogue: Catalogue = { capabilities: [], requirements: [], scenarios: SCENARIOS, schemas: [], tables: [], en18031: [] };
const byId = new Map(SCENARIOS.map((s) => [s.id, s]));
const noWaivers: WaiverSet = { file: "w.toml", waivers: [], problems: [], expired: [] };

function run(id: string, startedAt: string, target: string, results: Record<string, TestState>): RecordedRun {
  return {
    dir: "/x",
    finished: true,
    start: { type: "run-start", meta: { runId: id, revision: "r", dirty: false, target: target as "host", targetInfo: {}, imageHash: null, startedAt, host: "h", node: "v20", ci: true } },
    tests: Object.entries(results).map(([scenario, state]) => ({ type: "test", runId: id, scenario, targets: [target], name: scenario, file: "t.ts", state, durationMs: 5, errors: [] })),
  };
}

function waiverFile(toml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "atomicnix-waivers-")), "waivers.toml");
  writeFileSync(file, toml);
  return file;
}

const bound = [{ scenario: "demo.a.one", targets: ["host"], file: "t.ts", test: "one" }];

scenario("conf.coverage.all-listed", onHost, () => {
  const report = computeCoverage(catalogue, bound, [], noWaivers);
  expect(report.entries.map((e) => [e.id, e.bound])).toEqual([["demo.a.one", true], ["demo.a.two", false], ["demo.b.hw", false], ["demo.c.later", false]]);
  expect(report.totals).toMatchObject({ scenarios: 4, bound: 1, unbound: 3, planned: 1, notRun: 1 });
  expect(report.levels.find((l) => l.level === "device")).toMatchObject({ total: 2, bound: 0, unbound: 2 });
});

scenario("conf.coverage.last-result", onHost, () => {
  const runs = [run("old", "2026-11-01T00:00:00Z", "host", { "demo.a.one": "failed" }), run("new", "2026-11-02T00:00:00Z", "host", { "demo.a.one": "passed" }), run("newest-skip", "2026-11-03T00:00:00Z", "host", { "demo.a.one": "skipped" })];
  const entry = computeCoverage(catalogue, bound, runs, noWaivers).entries[0]!;
  expect(entry.results.host).toMatchObject({ state: "passed", runId: "new" });
  const vm = computeCoverage(catalogue, bound, [...runs, run("vm1", "2026-11-04T00:00:00Z", "vm", { "demo.a.one": "failed" })], noWaivers).entries[0]!;
  expect(Object.keys(vm.results).sort()).toEqual(["host", "vm"]);
  expect(vm.results.vm!.state).toBe("failed");
});

scenario("conf.waivers.expired", onHost, () => {
  const file = waiverFile(`[[waiver]]\nscenario = "demo.a.two"\nkind = "deferred"\njustification = "needs the twin image from the next issue"\nexpires = 2026-01-31\n`);
  const set = loadWaivers(file, byId, "2026-11-27");
  expect(set.expired.map((w) => w.scenario)).toEqual(["demo.a.two"]);
  const verdict = gate(computeCoverage(catalogue, bound, [], set), set, { requireBound: false });
  expect(verdict.ok).toBe(false);
  expect(verdict.failures.join("\n")).toMatch(/demo\.a\.two expired on 2026-01-31/);
  expect(loadWaivers(file, byId, "2026-01-31").expired).toEqual([]);
});

scenario("conf.waivers.hardware-only-level", onHost, () => {
  const file = waiverFile(`[[waiver]]\nscenario = "demo.a.two"\nkind = "hardware-only"\njustification = "pretends that a device check needs a board"\nexpires = 2027-01-31\nplan_step = "3.2"\n`);
  const set = loadWaivers(file, byId, "2026-11-27");
  expect(set.problems.map((p) => p.message)).toEqual([expect.stringMatching(/only hardware-level scenarios may be waived as hardware only/)]);
  expect(gate(computeCoverage(catalogue, bound, [], set), set, { requireBound: false }).ok).toBe(false);
});

scenario("conf.waivers.plan-step", onHost, () => {
  const base = `[[waiver]]\nscenario = "demo.b.hw"\nkind = "hardware-only"\njustification = "needs a Rock64 with a USB Ethernet adapter"\nexpires = 2027-01-31\n`;
  expect(loadWaivers(waiverFile(base), byId, "2026-11-27").problems[0]!.message).toMatch(/needs plan_step.*step 3\.2/);
  expect(loadWaivers(waiverFile(base + `plan_step = "3.3"\n`), byId, "2026-11-27").problems[0]!.message).toMatch(/"3\.3" does not match .*"3\.2"/);
  const ok = loadWaivers(waiverFile(base + `plan_step = "3.2"\n`), byId, "2026-11-27");
  expect(ok.problems).toEqual([]);
  expect(ok.waivers.map((w) => w.scenario)).toEqual(["demo.b.hw"]);
});

scenario("conf.waivers.file-errors", onHost, () => {
  const syntax = loadWaivers(waiverFile(`[[waiver]]\nscenario = "demo.a.two"\nkind = = "x"\n`), byId, "2026-11-27");
  expect(syntax.problems[0]!.where).toMatch(/waivers\.toml:3:\d+$/);
  const typed = loadWaivers(waiverFile(`[[waiver]]\nscenario = "demo.a.two"\nkind = "deferred"\njustification = "long enough justification text"\nexpires = "2027-01-31"\n\n[[waiver]]\nscenario = "demo.a.one"\nkind = "deferred"\njustification = "long enough justification text"\nexpires = 12\n`), byId, "2026-11-27");
  expect(typed.problems.map((p) => p.where)).toEqual([expect.stringMatching(/waivers\.toml: waiver\[1\]\.expires$/)]);
});

scenario("conf.gate.failed-bound", onHost, () => {
  const report = computeCoverage(catalogue, bound, [run("r1", "2026-11-01T00:00:00Z", "container", { "demo.a.one": "failed" })], noWaivers);
  const verdict = gate(report, noWaivers, { requireBound: false });
  expect(verdict.ok).toBe(false);
  expect(verdict.failures).toEqual([expect.stringMatching(/^demo\.a\.one: failed on container in run r1/)]);
});

scenario("conf.gate.unbound-count", onHost, () => {
  const report = computeCoverage(catalogue, bound, [run("r1", "2026-11-01T00:00:00Z", "host", { "demo.a.one": "passed" })], noWaivers);
  expect(gate(report, noWaivers, { requireBound: false })).toEqual({ ok: true, failures: [] });
  expect(report.levels.map((l) => [l.level, l.unbound])).toEqual([["static", 0], ["unit", 0], ["artifact", 0], ["device", 2], ["hardware", 1]]);
});

scenario("conf.gate.require-bound", onHost, () => {
  const file = waiverFile(`[[waiver]]\nscenario = "demo.b.hw"\nkind = "hardware-only"\njustification = "needs a Rock64 with a USB Ethernet adapter"\nexpires = 2027-01-31\nplan_step = "3.2"\n`);
  const set = loadWaivers(file, byId, "2026-11-27");
  const verdict = gate(computeCoverage(catalogue, bound, [], set), set, { requireBound: true });
  expect(verdict.ok).toBe(false);
  // demo.b.hw is waived and demo.c.later is planned: only demo.a.two remains.
  expect(verdict.failures).toEqual([expect.stringMatching(/^demo\.a\.two: not bound/)]);
});

scenario("conf.report.html", onHost, async () => {
  const { coverageHtml } = await import("../../conformance/report/html.js");
  const { readFileSync } = await import("node:fs");
  const en = (JSON.parse(readFileSync(new URL("../../specs/en18031-part1.json", import.meta.url), "utf8")) as { requirements: { id: string; title: string; confirmed: boolean }[] }).requirements;
  const withTrace: Catalogue = { ...catalogue, en18031: en, requirements: [{ id: "demo.a", title: "A <b>", capability: "demo", status: "implemented", en18031: ["ACM-2"], scenarios: ["demo.a.one", "demo.a.two"], file: "demo/spec.md", line: 3 }] };
  const runs = [run("run-<1>", "2026-11-01T00:00:00Z", "container", { "demo.a.one": "failed" })];
  const html = coverageHtml(withTrace, computeCoverage(withTrace, bound, runs, noWaivers), noWaivers, runs, "2026-11-27T00:00:00Z");
  for (const s of SCENARIOS) expect(html).toContain(`<code>${s.id}</code>`);
  for (const e of en) expect(html).toContain(`<b>${e.id}</b>`);
  expect(html).toContain("run-&lt;1&gt;");
  expect(html).toContain("A &lt;b&gt;");
  expect(html).not.toContain("A <b>");
  expect(html).toMatch(/<td>container<\/td>/);
});
