import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import type { Catalogue, CatalogueScenario } from "../../compiler/corpus/check.js";
import { computeCoverage, gate } from "../../conformance/coverage/coverage.js";
import { loadWaivers, type WaiverSet } from "../../conformance/coverage/waivers.js";
import { formatProblem } from "../../lib/problem.js";
import type { RecordedRun } from "../../conformance/results/store.js";
import type { TestState } from "../../conformance/results/events.js";

const onHost = { targets: ["host"] } as const;

function sc(id: string, level: CatalogueScenario["level"], extra: Partial<CatalogueScenario> = {}): CatalogueScenario {
  return { id, title: id, requirement: id.split(".").slice(0, -1).join("."), capability: "demo", level, status: "implemented", steps: [], file: "demo/spec.md", line: 1, ...extra };
}

const SCENARIOS = [sc("demo.a.one", "unit"), sc("demo.a.two", "device"), sc("demo.b.hw", "hardware", { planStep: "3.2" }), sc("demo.c.later", "device", { status: "planned" }), sc("demo.d.art", "artifact", { line: 42 })];
const catalogue: Catalogue = { capabilities: [], requirements: [], scenarios: SCENARIOS, schemas: [], tables: [], en18031: [] };
const byId = new Map(SCENARIOS.map((s) => [s.id, s]));
const noWaivers: WaiverSet = { file: "w.toml", waivers: [], problems: [], expired: [] };

const REV = "r";
const ctx = { revision: REV };

export function run(id: string, startedAt: string, target: string, results: Record<string, TestState>, meta: Partial<RecordedRun["start"]["meta"]> = {}): RecordedRun {
  return {
    dir: "/x",
    finished: true,
    unhandledErrors: [],
    moduleErrors: [],
    start: { type: "run-start", meta: { runId: id, revision: REV, dirty: false, target: target as "host", targetInfo: {}, imageHash: null, startedAt, host: "h", node: "v20", ci: true, ...meta } },
    tests: Object.entries(results).map(([scenario, state]) => ({ type: "test", runId: id, scenario, targets: [target], name: scenario, file: "t.ts", state, durationMs: 5, errors: state === "failed" ? ["AssertionError: expected 1 to be 2"] : [] })),
  };
}

function waiverFile(toml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "atomicnix-waivers-")), "waivers.toml");
  writeFileSync(file, toml);
  return file;
}

const bound = [{ scenario: "demo.a.one", targets: ["host"], file: "t.ts", test: "one" }];

scenario("conf.coverage.all-listed", onHost, () => {
  const report = computeCoverage(catalogue, bound, [], noWaivers, ctx);
  expect(report.entries.map((e) => [e.id, e.bound])).toEqual([["demo.a.one", true], ["demo.a.two", false], ["demo.b.hw", false], ["demo.c.later", false], ["demo.d.art", false]]);
  expect(report.totals).toMatchObject({ scenarios: 5, bound: 1, unbound: 4, planned: 1, notProven: 4 });
  expect(report.levels.find((l) => l.level === "device")).toMatchObject({ total: 2, bound: 0, unbound: 2 });
});

scenario("conf.coverage.last-result", onHost, () => {
  const runs = [run("old", "2026-11-01T00:00:00Z", "host", { "demo.a.one": "failed" }), run("new", "2026-11-02T00:00:00Z", "host", { "demo.a.one": "passed" })];
  const entry = computeCoverage(catalogue, bound, runs, noWaivers, ctx).entries[0]!;
  expect(entry.results.host).toMatchObject({ state: "passed", runId: "new" });
  const vm = computeCoverage(catalogue, bound, [...runs, run("vm1", "2026-11-04T00:00:00Z", "vm", { "demo.a.one": "failed" })], noWaivers, ctx).entries[0]!;
  expect(Object.keys(vm.results).sort()).toEqual(["host", "vm"]);
  expect(vm.results.vm!.state).toBe("failed");
});

const waiverToml = (fields: Record<string, string>) => `[[waiver]]\n${Object.entries(fields).map(([k, v]) => `${k} = ${/^\d{4}-/.test(v) && !v.includes(" ") ? v : JSON.stringify(v)}`).join("\n")}\n`;
const deviceWaiver = { scenario: "demo.a.two", kind: "deferred", scope: "device", justification: "needs the twin image from the next issue", expires: "2027-01-31" };
const hwWaiver = { scenario: "demo.b.hw", kind: "hardware-only", scope: "hardware", justification: "needs a Rock64 with a USB Ethernet adapter", expires: "2027-01-31", plan_step: "3.2", last_board_run: "never" };

scenario("conf.waivers.expired", onHost, () => {
  const set = loadWaivers(waiverFile(waiverToml({ ...deviceWaiver, expires: "2026-01-31" })), byId, "2026-11-27");
  expect(set.expired.map((w) => w.scenario)).toEqual(["demo.a.two"]);
  const verdict = gate(computeCoverage(catalogue, bound, [], set, ctx), set, [], { requireBound: false });
  expect(verdict.ok).toBe(false);
  expect(verdict.failures.join("\n")).toMatch(/demo\.a\.two expired on 2026-01-31/);
  expect(loadWaivers(waiverFile(waiverToml({ ...deviceWaiver, expires: "2026-01-31" })), byId, "2026-01-31").expired).toEqual([]);
});

scenario("conf.waivers.hardware-only-level", onHost, () => {
  const set = loadWaivers(waiverFile(waiverToml({ ...hwWaiver, scenario: "demo.a.two", scope: "device" })), byId, "2026-11-27");
  expect(set.problems.map((p) => p.message)).toEqual([expect.stringMatching(/only hardware-level scenarios may be waived as hardware only/)]);
  expect(gate(computeCoverage(catalogue, bound, [], set, ctx), set, [], { requireBound: false }).ok).toBe(false);
});

scenario("conf.waivers.plan-step", onHost, () => {
  const { plan_step: _, ...noStep } = hwWaiver;
  expect(loadWaivers(waiverFile(waiverToml(noStep)), byId, "2026-11-27").problems[0]!.message).toMatch(/needs plan_step.*step 3\.2/);
  expect(loadWaivers(waiverFile(waiverToml({ ...hwWaiver, plan_step: "3.3" })), byId, "2026-11-27").problems[0]!.message).toMatch(/"3\.3" does not match .*"3\.2"/);
  const ok = loadWaivers(waiverFile(waiverToml(hwWaiver)), byId, "2026-11-27");
  expect(ok.problems).toEqual([]);
  expect(ok.waivers.map((w) => w.scenario)).toEqual(["demo.b.hw"]);
});

scenario("conf.waivers.scope", onHost, () => {
  const { scope: _, ...unscoped } = deviceWaiver;
  const none = loadWaivers(waiverFile(waiverToml(unscoped)), byId, "2026-11-27");
  expect(none.problems.map((p) => p.message)).toEqual([expect.stringMatching(/waiver for "demo\.a\.two" has no scope/)]);
  expect(gate(computeCoverage(catalogue, bound, [], none, ctx), none, [], { requireBound: false }).failures.join("\n")).toMatch(/demo\.a\.two" has no scope/);
  const host = loadWaivers(waiverFile(waiverToml({ ...deviceWaiver, scenario: "demo.d.art", scope: "host" })), byId, "2026-11-27");
  expect(host.problems[0]!.message).toMatch(/scope "host" of "demo\.d\.art" cannot prove a artifact-level scenario: use level artifact or one of artifacts/);
  expect(loadWaivers(waiverFile(waiverToml({ ...deviceWaiver, scope: "vm" })), byId, "2026-11-27").problems).toEqual([]);
});

scenario("conf.waivers.max-expiry", onHost, () => {
  const set = loadWaivers(waiverFile(waiverToml({ ...deviceWaiver, expires: "2027-05-31" })), byId, "2026-12-02");
  expect(set.problems.map((p) => p.message)).toEqual([`waiver for "demo.a.two" expires 2027-05-31, more than 90 days after 2026-12-02 (latest 2027-03-02)`]);
  expect(loadWaivers(waiverFile(waiverToml({ ...deviceWaiver, expires: "2027-03-02" })), byId, "2026-12-02").problems).toEqual([]);
});

scenario("conf.waivers.board-run", onHost, async () => {
  const { last_board_run: _, ...noRun } = hwWaiver;
  expect(loadWaivers(waiverFile(waiverToml(noRun)), byId, "2026-11-27").problems[0]!.message).toMatch(/needs last_board_run: "never" or "YYYY-MM-DD RUN-ID" .*step 3\.2/);
  expect(loadWaivers(waiverFile(waiverToml({ ...hwWaiver, last_board_run: "last week" })), byId, "2026-11-27").problems).toHaveLength(1);
  const dated = loadWaivers(waiverFile(waiverToml({ ...hwWaiver, last_board_run: "2026-11-20 20261120T101010Z-abc123" })), byId, "2026-11-27");
  expect(dated.problems).toEqual([]);
  const { lastBoardRun } = await import("../../conformance/coverage/waivers.js");
  expect(lastBoardRun(dated.waivers[0]!)).toEqual({ date: "2026-11-20", runId: "20261120T101010Z-abc123" });
  const never = loadWaivers(waiverFile(waiverToml(hwWaiver)), byId, "2026-11-27");
  const { coverageHtml } = await import("../../conformance/report/html.js");
  const html = coverageHtml(catalogue, computeCoverage(catalogue, bound, [], never, ctx), never, [], "2026-11-27T00:00:00Z");
  expect(html).toMatch(/<span class="never">never<\/span>/);
});

scenario("conf.waivers.no-longer-needed", onHost, () => {
  const set = loadWaivers(waiverFile(waiverToml({ ...deviceWaiver, scenario: "demo.a.one", scope: "unit" })), byId, "2026-11-27");
  const runs = [run("h1", "2026-11-01T00:00:00Z", "host", { "demo.a.one": "passed" })];
  const verdict = gate(computeCoverage(catalogue, bound, runs, set, ctx), set, runs, { requireBound: false });
  expect(verdict.ok).toBe(true);
  expect(verdict.warnings).toEqual([expect.stringMatching(/^demo\.a\.one \(demo\/spec\.md:1\): waiver no longer needed: passed on host in run h1/)]);
});

scenario("conf.waivers.file-errors", onHost, () => {
  const syntax = loadWaivers(waiverFile(`[[waiver]]\nscenario = "demo.a.two"\nkind = = "x"\n`), byId, "2026-11-27");
  expect(syntax.problems[0]).toMatchObject({ severity: "error", rule: "waiver-toml", file: expect.stringMatching(/waivers\.toml$/), line: 3, column: expect.any(Number) });
  expect(formatProblem(syntax.problems[0]!)).toMatch(/waivers\.toml:3:\d+ error waiver-toml: /);
  const typed = loadWaivers(waiverFile(waiverToml({ ...deviceWaiver, expires: "2027-01-31" }) + `\n[[waiver]]\nscenario = "demo.a.one"\nkind = "deferred"\nscope = "unit"\njustification = "long enough justification text"\nexpires = 12\n`), byId, "2026-11-27");
  expect(typed.problems.map((p) => [p.rule, p.path])).toEqual([["waiver-schema", "waiver[1].expires"]]);
  expect(formatProblem(typed.problems[0]!)).toMatch(/waivers\.toml waiver\[1\]\.expires error waiver-schema: /);
});

/** The gate over one bound unit scenario and the artifact one, with the device and hardware ones waived. */
function gateOver(runs: RecordedRun[], bindings = [...bound, { scenario: "demo.d.art", targets: ["host", "artifacts"], file: "a.ts", test: "art" }]) {
  const set = loadWaivers(waiverFile(waiverToml(deviceWaiver) + "\n" + waiverToml(hwWaiver)), byId, "2026-11-27");
  expect(set.problems).toEqual([]);
  return gate(computeCoverage(catalogue, bindings, runs, set, ctx), set, runs, { requireBound: true });
}
const allPass = (id = "p1", meta: Partial<RecordedRun["start"]["meta"]> = {}) => [run(id, "2026-11-01T00:00:00Z", "host", { "demo.a.one": "passed" }, meta), run(`${id}-art`, "2026-11-01T00:00:01Z", "artifacts", { "demo.d.art": "passed" }, meta)];

scenario("conf.gate.failed-bound", onHost, () => {
  const runs = [...allPass(), run("r1", "2026-11-02T00:00:00Z", "container", { "demo.a.one": "failed" })];
  const verdict = gateOver(runs);
  expect(verdict.ok).toBe(false);
  expect(verdict.failures).toEqual(["demo.a.one (demo/spec.md:1): failed on container in run r1: AssertionError: expected 1 to be 2"]);
  expect(gateOver(allPass())).toEqual({ ok: true, failures: [], warnings: [] });
});

scenario("conf.gate.empty-evidence", onHost, () => {
  const verdict = gateOver([]);
  expect(verdict.ok).toBe(false);
  expect(verdict.failures).toEqual([
    "no evidence: no run is recorded (run the test suites first; evidence/runs/ is empty)",
    "demo.a.one (demo/spec.md:1): not proven: no result at revision r; unit level needs a pass on host",
    "demo.d.art (demo/spec.md:42): not proven: no result at revision r; artifact level needs a pass on artifacts",
  ]);
});

scenario("conf.gate.only-skipped", onHost, () => {
  const skipped = run("s1", "2026-11-01T00:00:00Z", "host", { "demo.a.one": "skipped" });
  skipped.tests[0]!.skipReason = "needs root for network namespaces";
  const verdict = gateOver([skipped, allPass()[1]!]);
  expect(verdict.failures).toEqual(["demo.a.one (demo/spec.md:1): not proven: skipped on host in run s1 (needs root for network namespaces); unit level needs a pass on host"]);
});

scenario("conf.gate.stale-pass", onHost, () => {
  const verdict = gateOver([...allPass("old", { revision: "0123456789abcdef" }), allPass()[1]!]);
  expect(verdict.failures).toEqual(["demo.a.one (demo/spec.md:1): not proven: last pass on host in run old is at revision 0123456789ab, not the current r; unit level needs a pass on host"]);
});

scenario("conf.gate.dirty-pass", onHost, () => {
  const verdict = gateOver([allPass("d", { dirty: true })[0]!, allPass()[1]!]);
  expect(verdict.failures).toEqual(["demo.a.one (demo/spec.md:1): not proven: passed on host only in run d, from a dirty tree; unit level needs a pass on host from a clean checkout"]);
});

scenario("conf.gate.wrong-level", onHost, () => {
  const verdict = gateOver([allPass()[0]!, run("h2", "2026-11-01T00:00:02Z", "host", { "demo.d.art": "passed" })]);
  expect(verdict.failures).toEqual(["demo.d.art (demo/spec.md:42): not proven: passed on host in run h2, but the artifact level needs a pass on artifacts"]);
  const hostOnly = gateOver([allPass()[0]!, run("h3", "2026-11-01T00:00:03Z", "host", { "demo.d.art": "passed" })], [...bound, { scenario: "demo.d.art", targets: ["host"], file: "a.ts", test: "art" }]);
  expect(hostOnly.failures).toEqual(["demo.d.art (demo/spec.md:42): not proven: bound only to host; artifact level needs a pass on artifacts"]);
});

scenario("conf.gate.broken-run", onHost, () => {
  const setup = run("b1", "2026-11-02T00:00:00Z", "host", { "demo.a.one": "failed" });
  setup.tests[0]!.errors = ["setup of t.ts failed: Error: fixture setup failed on purpose"];
  const unfinished = { ...run("b2", "2026-11-02T00:00:01Z", "container", {}), finished: false, dir: "/e/runs/b2" };
  const unhandled = { ...run("b3", "2026-11-02T00:00:02Z", "host", {}), unhandledErrors: ["TypeError: x is undefined\n    at y"] };
  const verdict = gateOver([...allPass(), setup, unfinished, unhandled]);
  expect(verdict.failures).toEqual([
    "run b2 (container) never finished: no run-end event in /e/runs/b2/events.ndjson",
    "run b3 (host) had 1 unhandled error(s): TypeError: x is undefined",
    "demo.a.one (demo/spec.md:1): failed on host in run b1: setup of t.ts failed: Error: fixture setup failed on purpose",
  ]);
});

scenario("conf.gate.unbound-count", onHost, () => {
  const runs = allPass();
  const set = loadWaivers(waiverFile(waiverToml(hwWaiver)), byId, "2026-11-27");
  const bindings = [...bound, { scenario: "demo.d.art", targets: ["artifacts"], file: "a.ts", test: "art" }];
  const report = computeCoverage(catalogue, bindings, runs, set, ctx);
  expect(gate(report, set, runs, { requireBound: false })).toEqual({ ok: true, failures: [], warnings: [] });
  expect(report.levels.map((l) => [l.level, l.unbound])).toEqual([["static", 0], ["unit", 0], ["artifact", 0], ["device", 2], ["hardware", 1]]);
});

scenario("conf.gate.require-bound", onHost, () => {
  const set = loadWaivers(waiverFile(waiverToml(hwWaiver)), byId, "2026-11-27");
  const runs = allPass();
  const bindings = [...bound, { scenario: "demo.d.art", targets: ["artifacts"], file: "a.ts", test: "art" }];
  const verdict = gate(computeCoverage(catalogue, bindings, runs, set, ctx), set, runs, { requireBound: true });
  expect(verdict.ok).toBe(false);
  // demo.b.hw is waived and demo.c.later is planned: only demo.a.two remains.
  expect(verdict.failures).toEqual(["demo.a.two (demo/spec.md:1): not bound to any test and not waived (device level)"]);
});

scenario("conf.report.html", onHost, async () => {
  const { coverageHtml } = await import("../../conformance/report/html.js");
  const { readFileSync } = await import("node:fs");
  const en = (JSON.parse(readFileSync(new URL("../../specs/en18031-part1.json", import.meta.url), "utf8")) as { requirements: { id: string; title: string; confirmed: boolean }[] }).requirements;
  const withTrace: Catalogue = { ...catalogue, en18031: en, requirements: [{ id: "demo.a", title: "A <b>", capability: "demo", status: "implemented", en18031: ["ACM-2"], scenarios: ["demo.a.one", "demo.a.two"], file: "demo/spec.md", line: 3 }] };
  const runs = [run("run-<1>", "2026-11-01T00:00:00Z", "container", { "demo.a.one": "failed" })];
  const html = coverageHtml(withTrace, computeCoverage(withTrace, bound, runs, noWaivers, ctx), noWaivers, runs, "2026-11-27T00:00:00Z");
  for (const s of SCENARIOS) expect(html).toContain(`<code>${s.id}</code>`);
  for (const e of en) expect(html).toContain(`<b>${e.id}</b>`);
  expect(html).toContain("run-&lt;1&gt;");
  expect(html).toContain("A &lt;b&gt;");
  expect(html).not.toContain("A <b>");
  expect(html).toMatch(/<td>container<\/td>/);
});
