/**
 * The report as an assessor gets it: the EN 18031-1 technical file's verdicts and
 * paths, and the HTML page opened in headless Chromium (network refused), printed
 * to PDF and screenshotted into evidence/report-screenshots/ for a person to look at.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { checkCorpus, type Catalogue, type CatalogueScenario } from "../../compiler/corpus/check.js";
import { computeCoverage, gate } from "../../conformance/coverage/coverage.js";
import { loadWaivers } from "../../conformance/coverage/waivers.js";
import { checkAssessment, loadAssessment, technicalFile, technicalFileMarkdown, type AssessmentData } from "../../conformance/report/en18031.js";
import { coverageHtml } from "../../conformance/report/html.js";
import { CHROMIUM, renderReport } from "../../conformance/report/pdf.js";
import { evidenceDir, type RecordedRun } from "../../conformance/results/store.js";
import { REPO } from "../helpers/spec-fixtures.js";

const onHost = { targets: ["host"], timeout: 120_000 } as const;
const REV = "c0ffee";
const sc = (id: string, level: CatalogueScenario["level"], requirement: string): CatalogueScenario => ({ id, title: `title of ${id} <x>`, requirement, capability: id.split(".")[0]!, level, status: "implemented", steps: [{ keyword: "WHEN", text: `${id} runs` }, { keyword: "THEN", text: "it holds" }], file: "demo/spec.md", line: 3 });
const SCENARIOS = [sc("demo.pass.one", "unit", "demo.pass"), sc("demo.fail.one", "unit", "demo.fail"), sc("demo.wait.one", "device", "demo.wait"), sc("demo.wait.two", "device", "demo.wait")];
const req = (id: string, en: string[]) => ({ id, title: `req ${id}`, capability: "demo", status: "implemented" as const, en18031: en, scenarios: SCENARIOS.filter((s) => s.requirement === id).map((s) => s.id), file: "demo/spec.md", line: 1 });
const catalogue: Catalogue = { capabilities: [], requirements: [req("demo.pass", ["ACM-1"]), req("demo.fail", ["ACM-2"]), req("demo.wait", ["AUM-3"])], scenarios: SCENARIOS, schemas: [], tables: [], en18031: [] };
const bindings = [
  { scenario: "demo.pass.one", targets: ["host"], file: "p.ts", test: "p" },
  { scenario: "demo.fail.one", targets: ["host"], file: "f.ts", test: "f" },
  { scenario: "demo.wait.two", targets: ["vm"], file: "w.ts", test: "w" },
];
const run = (): RecordedRun => ({
  dir: "/e/runs/r1",
  finished: true,
  unhandledErrors: [],
  moduleErrors: [],
  start: { type: "run-start", meta: { runId: "20261201T000000Z-aaaaaa", revision: REV, dirty: false, target: "host", targetInfo: {}, imageHash: "sha256:" + "1".repeat(64), startedAt: "2026-12-01T00:00:00Z", host: "h", node: "v20", ci: true } },
  tests: [
    { type: "test", runId: "20261201T000000Z-aaaaaa", scenario: "demo.pass.one", targets: ["host"], name: "p", file: "p.ts", state: "passed", durationMs: 1234, errors: [] },
    { type: "test", runId: "20261201T000000Z-aaaaaa", scenario: "demo.fail.one", targets: ["host"], name: "f", file: "f.ts", state: "failed", durationMs: 55, errors: ["AssertionError: expected <b>1</b> to be 2\n    at f.ts:3:1"] },
  ],
});

function fixture() {
  const data = loadAssessment(join(REPO, "specs", "en18031-part1.json"));
  // the real 33 IDs, with three of them pointed at the demo requirements and AUM-5-2 kept not applicable
  const pick = (id: string, reqs: string[]) => ({ node: `DT.${id}.DN-1`, question: `question of ${id}?`, answer: "yes", requirements: reqs });
  const demo: AssessmentData = {
    ...data,
    requirements: data.requirements.map((r) =>
      r.id === "ACM-1" ? { ...r, assessment: { path: [pick("ACM-1", ["demo.pass"])], outcome: "assess" as const, justification: "demo justification for the passing ID" } } :
      r.id === "ACM-2" ? { ...r, assessment: { path: [pick("ACM-2", ["demo.fail"])], outcome: "assess" as const, justification: "demo justification for the failing ID" } } :
      r.id === "AUM-3" ? { ...r, assessment: { path: [pick("AUM-3", ["demo.wait"])], outcome: "assess" as const, justification: "demo justification for the waiting ID" } } :
      r.id === "AUM-5-2" ? r : { ...r, assessment: { ...r.assessment!, path: r.assessment!.path.map((n) => ({ ...n, requirements: [] })) } },
    ),
  };
  const dir = mkdtempSync(join(tmpdir(), "atomicnix-report-"));
  writeFileSync(join(dir, "waivers.toml"), `[[waiver]]\nscenario = "demo.wait.one"\nkind = "deferred"\nscope = "vm"\njustification = "the demo VM scenario waits for its fixture"\nexpires = 2027-01-15\n`);
  const waivers = loadWaivers(join(dir, "waivers.toml"), new Map(SCENARIOS.map((s) => [s.id, s])), "2026-12-02");
  const runs = [run()];
  const report = computeCoverage({ ...catalogue, en18031: data.requirements }, bindings, runs, waivers, { revision: REV });
  return { data: demo, report, runs, waivers, dir, catalogue: { ...catalogue, en18031: data.requirements } };
}

scenario("conf.en18031.verdicts", onHost, () => {
  const { data, report, runs, catalogue } = fixture();
  const tf = technicalFile(data, catalogue, report, runs, "2026-12-02T00:00:00Z");
  expect(tf.entries).toHaveLength(33);
  const v = Object.fromEntries(tf.entries.map((e) => [e.id, e.verdict]));
  expect(v["ACM-1"]).toBe("PASS");
  expect(v["ACM-2"]).toBe("FAIL");
  expect(v["AUM-3"]).toBe("NOT PROVEN");
  expect(v["AUM-5-2"]).toBe("NOT APPLICABLE");
  for (const e of tf.entries) expect(["PASS", "FAIL", "NOT APPLICABLE", "NOT PROVEN"]).toContain(e.verdict);
  for (const e of tf.entries) expect(e.path.length, e.id).toBeGreaterThan(0);
  const acm1 = tf.entries.find((e) => e.id === "ACM-1")!;
  expect(acm1.scenarios).toEqual([expect.objectContaining({ id: "demo.pass.one", verdict: "proven", runId: "20261201T000000Z-aaaaaa", target: "host", revision: REV, imageHash: "sha256:" + "1".repeat(64) })]);
  expect(tf.entries.find((e) => e.id === "AUM-3")!.reason).toMatch(/2 of 2 scenario\(s\) not proven \(1 waived\)/);
  const md = technicalFileMarkdown(tf);
  const unconfirmed = tf.entries.filter((e) => !e.confirmed);
  expect(unconfirmed.length).toBeGreaterThan(0);
  for (const e of unconfirmed) expect(md).toContain(`## ${e.id}: ${e.title} (title to confirm)`);
  expect(md).toMatch(/confirmed: false.*still need checking against the standard text/);
  expect(md).toContain("### Network assets (exposed interfaces and ports)");
});

scenario("conf.en18031.data", { targets: ["host"], timeout: 60_000 }, () => {
  const data = loadAssessment(join(REPO, "specs", "en18031-part1.json"));
  expect(data.requirements).toHaveLength(33);
  const check = checkCorpus(join(REPO, "specs"));
  expect(checkAssessment(data, check.catalogue)).toEqual([]);
  // the check itself catches what it promises to
  const broken: AssessmentData = { ...data, requirements: data.requirements.map((r, i) => (i === 0 ? { ...r, assessment: { ...r.assessment!, path: [{ node: "DT.ACM-1.DN-1", question: "", answer: "yes", requirements: ["no.such-req"] }] } } : r)) };
  expect(checkAssessment(broken, check.catalogue)).toEqual([
    "specs/en18031-part1.json: requirements[0] (ACM-1): path[0] needs a question and an answer",
    `specs/en18031-part1.json: requirements[0] (ACM-1): path[0] cites "no.such-req", which is not a requirement of the catalogue`,
  ]);
  expect((data.assets?.security ?? []).length).toBeGreaterThanOrEqual(5);
});

scenario("conf.report.browser", onHost, async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does)`);
  const { data, report, runs, waivers, dir, catalogue } = fixture();
  const tf = technicalFile(data, catalogue, report, runs, "2026-12-02T00:00:00Z");
  const failures = gate(report, waivers, runs, { requireBound: true }).failures;
  const html = join(dir, "index.html");
  writeFileSync(html, coverageHtml(catalogue, report, waivers, runs, "2026-12-02T00:00:00Z", tf, failures));
  // screenshots go where a person can open them after the run
  const shots = join(evidenceDir(), "report-screenshots");
  mkdirSync(shots, { recursive: true });
  const r = await renderReport(html, { pdf: join(dir, "report.pdf"), screenshots: [join(shots, "top.png"), join(shots, "en18031.png"), join(shots, "scenario.png")] });
  expect(r.foreignRequests).toEqual([]);
  const pdf = readFileSync(join(dir, "report.pdf"));
  expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  expect(pages).toBeGreaterThanOrEqual(2);
  for (const s of r.screenshots) expect(readFileSync(s).subarray(1, 4).toString("latin1")).toBe("PNG");
  const text = readFileSync(html, "utf8");
  expect(text).not.toMatch(/<(script|link|img)\b[^>]*(src|href)=["']?https?:/i);
  expect(text).toContain("expected &lt;b&gt;1&lt;/b&gt; to be 2");
  console.log(`report: ${pages} PDF pages, screenshots in ${shots}`);
});

scenario("conf.en18031.interfaces-doc", { targets: ["host"], timeout: 60_000 }, async () => {
  const { interfacesDoc, INTERFACES_DOC } = await import("../../conformance/report/interfaces-doc.js");
  const check = checkCorpus(join(REPO, "specs"));
  const expected = interfacesDoc(check.catalogue);
  const actual = readFileSync(join(REPO, INTERFACES_DOC), "utf8");
  expect(actual, `${INTERFACES_DOC} drifted from specs/firewall/spec.md: run npx tsx conformance/cli/interfaces-doc.ts`).toBe(expected);
  const table = check.catalogue.tables.find((t) => t.id === "baseline-inbound")!;
  expect(table.rows.length).toBeGreaterThan(0);
  for (const r of table.rows as unknown as Record<string, string>[]) expect(actual).toContain(`| ${r.interface} | ${r.protocol} | ${r.ports} | ${r.purpose} |`);
});
