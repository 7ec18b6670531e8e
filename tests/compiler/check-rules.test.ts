import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { checkCorpus } from "../../compiler/corpus/check.js";
import { requirementMarkdown, specMarkdown, writeSpecTree } from "../helpers/spec-fixtures.js";

const onHost = { targets: ["host"] } as const;

function check(files: Record<string, string>) {
  const root = writeSpecTree(files);
  return { root, result: checkCorpus(root) };
}

function rules(files: Record<string, string>): { rule: string; line: number; column: number; message: string; file: string }[] {
  return check(files).result.diagnostics;
}

scenario("spec.findings.duplicate-id", onHost, () => {
  const md = specMarkdown("demo", "demo", [{ scenarios: [{ id: "demo.req-1.same" }, { id: "demo.req-1.same" }] }]);
  const found = rules({ "demo/spec.md": md }).filter((d) => d.rule === "id-unique");
  const lines = md.split("\n");
  const second = lines.findIndex((l, i) => l.startsWith("#### Scenario") && i > lines.findIndex((x) => x.startsWith("#### Scenario"))) + 1;
  expect(found).toHaveLength(1);
  expect(found[0]!.file).toMatch(/demo\/spec\.md$/);
  expect(found[0]!.line).toBe(second);
  expect(found[0]!.column).toBe(1);
  expect(found[0]!.message).toMatch(/already used at .*demo\/spec\.md:\d+/);
});

scenario("spec.openspec-rules.shall", onHost, () => {
  const md = specMarkdown("demo", "demo", [{ body: "The gateway does the thing." }]);
  const found = rules({ "demo/spec.md": md }).filter((d) => d.rule === "requirement-shall");
  expect(found).toHaveLength(1);
  expect(found[0]!.line).toBe(md.split("\n").indexOf("The gateway does the thing.") + 1);
});

scenario("spec.openspec-rules.no-scenario", onHost, () => {
  const md = specMarkdown("demo", "demo", [{ scenarios: [] }]);
  const found = rules({ "demo/spec.md": md }).filter((d) => d.rule === "requirement-scenario");
  expect(found.map((d) => d.line)).toEqual([md.split("\n").indexOf("### Requirement: Requirement 1") + 1]);
});

scenario("spec.openspec-rules.purpose", onHost, () => {
  const short = specMarkdown("demo", "demo", [{}]).replace(/The demo capability exists[^\n]*/, "Too short.");
  const missing = specMarkdown("demo", "demo", [{}]).replace(/## Purpose\n[^\n]*\n/, "");
  expect(rules({ "demo/spec.md": short }).map((d) => d.rule)).toEqual(["spec-structure"]);
  expect(rules({ "demo/spec.md": missing }).filter((d) => d.rule === "spec-structure")[0]!.message).toMatch(/Purpose/);
});

scenario("spec.openspec-rules.duplicate-name", onHost, () => {
  const md = specMarkdown("demo", "demo", [{ name: "Same" }, { name: "same" }]);
  const found = rules({ "demo/spec.md": md }).filter((d) => d.rule === "requirement-name-unique");
  expect(found).toHaveLength(1);
  expect(found[0]!.line).toBe(md.split("\n").lastIndexOf("### Requirement: same") + 1);
});

scenario("spec.ids.missing", onHost, () => {
  const md = specMarkdown("demo", "demo", [{}]).replace(/\*\*ID\*\*: `demo\.req-1\.case-0`\n/, "");
  const found = rules({ "demo/spec.md": md }).filter((d) => d.rule === "id-missing");
  expect(found).toHaveLength(1);
  expect(found[0]!.line).toBe(md.split("\n").findIndex((l) => l.startsWith("#### Scenario")) + 1);
});

scenario("spec.ids.malformed", onHost, () => {
  const upper = rules({ "demo/spec.md": specMarkdown("demo", "demo", [{ id: "demo.BadId", scenarios: [{ id: "demo.BadId.x" }] }]) });
  const single = rules({ "demo/spec.md": specMarkdown("demo", "demo", [{ id: "demo", scenarios: [{ id: "demo.x" }] }]) });
  expect(upper.filter((d) => d.rule === "id-format").length).toBeGreaterThanOrEqual(1);
  expect(single.filter((d) => d.rule === "id-format").length).toBe(1);
  expect(upper.find((d) => d.rule === "id-format")!.line).toBe(9);
});

scenario("spec.ids.prefix", onHost, () => {
  const found = rules({ "demo/spec.md": specMarkdown("demo", "demo", [{ scenarios: [{ id: "demo.other.case" }] }]) });
  expect(found.map((d) => d.rule)).toEqual(["id-prefix"]);
});

scenario("spec.steps.no-then", onHost, () => {
  const md = specMarkdown("demo", "demo", [{ scenarios: [{ steps: "- **GIVEN** a gateway\n- **WHEN** it boots" }] }]);
  const found = rules({ "demo/spec.md": md }).filter((d) => d.rule === "scenario-steps");
  expect(found).toHaveLength(1);
  expect(found[0]!.message).toMatch(/no THEN/);
  expect(found[0]!.line).toBe(md.split("\n").findIndex((l) => l.startsWith("#### Scenario")) + 1);
});

scenario("spec.steps.given-after-when", onHost, () => {
  const md = specMarkdown("demo", "demo", [{ scenarios: [{ steps: "- **WHEN** it boots\n- **GIVEN** a gateway\n- **THEN** it works" }] }]);
  const found = rules({ "demo/spec.md": md }).filter((d) => d.rule === "scenario-steps");
  expect(found).toHaveLength(1);
  expect(found[0]!.line).toBe(md.split("\n").indexOf("- **GIVEN** a gateway") + 1);
  expect(found[0]!.column).toBe(1);
});

scenario("spec.tags.unknown-en18031", onHost, () => {
  const md = specMarkdown("demo", "demo", [{ en: "ACM-2, XYZ-9" }]);
  const found = rules({ "demo/spec.md": md });
  expect(found.map((d) => d.rule)).toEqual(["en18031-unknown"]);
  expect(found[0]!.message).toContain("XYZ-9");
  expect(found[0]!.line).toBe(md.split("\n").indexOf("**EN18031**: ACM-2, XYZ-9") + 1);
});

scenario("spec.tags.invalid-level", onHost, () => {
  const md = specMarkdown("demo", "demo", [{ scenarios: [{ level: "integration" }] }]);
  const found = rules({ "demo/spec.md": md });
  expect(found.map((d) => d.rule)).toEqual(["level-invalid"]);
  expect(found[0]!.line).toBe(md.split("\n").indexOf("**Level**: integration") + 1);
});

scenario("spec.roots.openspec-rules", onHost, () => {
  const plain = ["# demo Specification", "", "## Purpose", "A plain OpenSpec capability without any of the AtomicNix metadata lines.", "", "## Requirements", "", "### Requirement: Plain", "The system SHALL work.", "", "#### Scenario: Works", "- **WHEN** used", "- **THEN** it works", ""].join("\n");
  const root = writeSpecTree({ "openspec/specs/demo/spec.md": plain });
  const strictOurs = checkCorpus(root);
  const openspecOnly = checkCorpus(root, { rules: "openspec" });
  expect(strictOurs.diagnostics.map((d) => d.rule)).toEqual(expect.arrayContaining(["id-missing", "en18031-missing", "level-missing"]));
  expect(openspecOnly.diagnostics).toEqual([]);
  expect(openspecOnly.totals.requirements).toBe(1);
});

scenario("spec.ids.rename-stable", onHost, () => {
  const before = check({ "demo/spec.md": specMarkdown("demo", "demo", [{ scenarios: [{ name: "Old title" }] }]) }).result.catalogue;
  const after = check({ "demo/spec.md": specMarkdown("demo", "demo", [{ scenarios: [{ name: "Brand new title" }] }]) }).result.catalogue;
  expect(before.scenarios.map((s) => s.id)).toEqual(after.scenarios.map((s) => s.id));
  expect(after.scenarios[0]!.title).toBe("Brand new title");
});

scenario("spec.tags.en18031-data", onHost, async () => {
  const { readFileSync } = await import("node:fs");
  const data = JSON.parse(readFileSync(new URL("../../specs/en18031-part1.json", import.meta.url), "utf8")) as { requirements: { id: string }[] };
  const ids = data.requirements.map((r) => r.id);
  expect(new Set(ids).size).toBe(33);
  expect(ids[0]).toBe("ACM-1");
  expect(ids[32]).toBe("CRY-1");
});

export { requirementMarkdown };

scenario("spec.findings.keyword-typo", onHost, () => {
  const md = specMarkdown("demo", "demo", [{ scenarios: [{ steps: "- **GIVEN** a gateway\n- **WEHN** the gateway boots\n- **THEN** it works" }] }]);
  const found = rules({ "demo/spec.md": md });
  expect(found).toHaveLength(1);
  expect(found[0]!.rule).toBe("scenario-steps");
  expect(found[0]!.message).toMatch(/did you mean \*\*WHEN\*\*/);
  expect(found[0]!.line).toBe(md.split("\n").indexOf("- **WEHN** the gateway boots") + 1);
});

scenario("spec.findings.duplicate-new", onHost, async () => {
  const { spawnSync } = await import("node:child_process");
  const { writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const root = writeSpecTree({ "zeta/spec.md": specMarkdown("zeta", "zeta", [{ scenarios: [{ id: "zeta.req-1.shared" }] }]), "alpha/spec.md": specMarkdown("alpha", "alpha", [{}]) });
  const git = (...args: string[]) => expect(spawnSync("git", ["-C", root, ...args], { encoding: "utf8" }).status).toBe(0);
  git("init", "-q");
  git("-c", "user.email=t@example.invalid", "-c", "user.name=t", "add", ".");
  git("-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-qm", "base");
  // alpha sorts first, so without history the committed zeta occurrence would be blamed.
  const alpha = specMarkdown("alpha", "alpha", [{ scenarios: [{}, { id: "zeta.req-1.shared", name: "Copied" }] }]);
  writeFileSync(join(root, "alpha", "spec.md"), alpha);
  const found = checkCorpus(root).diagnostics.filter((d) => d.rule === "id-unique");
  expect(found).toHaveLength(1);
  expect(found[0]!.file).toMatch(/alpha\/spec\.md$/);
  expect(found[0]!.line).toBe(alpha.split("\n").indexOf("#### Scenario: Copied") + 1);
  expect(found[0]!.message).toMatch(/zeta\/spec\.md:\d+/);
});

scenario("spec.findings.added-reuses-id", onHost, () => {
  const delta = ["## ADDED Requirements", requirementMarkdown("demo", 1, { name: "Brand new", id: "demo.req-1" })].join("\n");
  const root = writeSpecTree({
    "demo/spec.md": specMarkdown("demo", "demo", [{}]),
    "changes/c/proposal.md": "## Why\nThe baseline needs a new requirement so the delta checks can be exercised.\n\n## What Changes\n- one\n",
    "changes/c/specs/demo/spec.md": delta,
  });
  const found = checkCorpus(root).diagnostics.filter((d) => d.rule === "delta-target");
  expect(found.length).toBeGreaterThanOrEqual(1);
  expect(found[0]!.file).toMatch(/changes\/c\/specs\/demo\/spec\.md$/);
  expect(found[0]!.line).toBe(delta.split("\n").indexOf("### Requirement: Brand new") + 1);
  expect(found[0]!.message).toMatch(/reuses ID "demo\.req-1"/);
});
