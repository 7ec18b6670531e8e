import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { applyDeltas } from "../../compiler/archive/apply-deltas.js";
import { checkCorpus, checkDiscovered } from "../../compiler/corpus/check.js";
import { discoverCorpus } from "../../compiler/corpus/discover.js";
import { extractSpecDocument } from "../../compiler/spec/extract.js";
import { requirementMarkdown, runCli, specMarkdown, writeSpecTree } from "../helpers/spec-fixtures.js";

const onHost = { targets: ["host"] } as const;
const PROPOSAL = "## Why\nThe baseline needs to change so that the archive command can be exercised end to end.\n\n## What Changes\n- changes\n";

function change(name: string, deltas: Record<string, string>): Record<string, string> {
  const files: Record<string, string> = { [`changes/${name}/proposal.md`]: PROPOSAL, [`changes/${name}/tasks.md`]: "- [ ] 1.1 do it\n" };
  for (const [cap, md] of Object.entries(deltas)) files[`changes/${name}/specs/${cap}/spec.md`] = md;
  return files;
}

const BASE = specMarkdown("demo", "demo", [{ name: "Alpha" }, { name: "Beta" }, { name: "Gamma", scenarios: [{ name: "G one" }, { name: "G two" }] }], "\n## Schemas\n\n### Schema: kept\n**ID**: `kept`\n\n| Field | Type |\n|---|---|\n| `a` | string |\n");

scenario("spec.archive.order", onHost, () => {
  const modified = requirementMarkdown("demo", 1, { name: "Alpha renamed", id: "demo.req-1", body: "The gateway SHALL do the modified thing." });
  const delta = [
    "## RENAMED Requirements",
    "- FROM: `### Requirement: Alpha`",
    "- TO: `### Requirement: Alpha renamed`",
    "",
    "## REMOVED Requirements",
    "### Requirement: Beta",
    "",
    "## MODIFIED Requirements",
    modified,
    "## ADDED Requirements",
    requirementMarkdown("demo", 9, { name: "Delta" }),
  ].join("\n");
  const root = writeSpecTree({ "demo/spec.md": BASE, ...change("rework", { demo: delta }) });
  const r = runCli(["spec", "archive", "rework", "--specs", root, "--date", "2026-11-27", "--json"]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout).applied).toEqual([{ capability: "demo", renamed: 1, removed: 1, modified: 1, added: 1 }]);
  const after = extractSpecDocument("demo", readFileSync(join(root, "demo", "spec.md"), "utf8"));
  expect(after.requirements.map((q) => q.name)).toEqual(["Alpha renamed", "Gamma", "Delta"]);
  expect(after.requirements[0]!.text).toBe("The gateway SHALL do the modified thing.");
  expect(after.requirements[0]!.metadata.find((m) => m.key === "ID")!.value).toBe("demo.req-1");
  expect(after.schemas.map((s) => s.name)).toEqual(["kept"]);
  expect(existsSync(join(root, "changes", "archive", "2026-11-27-rework", "proposal.md"))).toBe(true);
  expect(existsSync(join(root, "changes", "rework"))).toBe(false);
  expect(checkCorpus(root).diagnostics).toEqual([]);
});

scenario("spec.archive.drop-refused", onHost, () => {
  const delta = ["## MODIFIED Requirements", requirementMarkdown("demo", 3, { name: "Gamma", scenarios: [{ name: "G one" }] })].join("\n");
  const root = writeSpecTree({ "demo/spec.md": BASE, ...change("narrow", { demo: delta }) });
  const r = runCli(["spec", "archive", "narrow", "--specs", root]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/drops scenario.*"G two"/);
  expect(readFileSync(join(root, "demo", "spec.md"), "utf8")).toBe(BASE);
  expect(existsSync(join(root, "changes", "narrow"))).toBe(true);
});

scenario("spec.archive.new-capability", onHost, () => {
  const delta = ["## MODIFIED Requirements", requirementMarkdown("fresh", 1, { name: "Thing" })].join("\n");
  const root = writeSpecTree({ "demo/spec.md": BASE, ...change("newcap", { fresh: delta }) });
  const r = runCli(["spec", "archive", "newcap", "--specs", root]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/delta-new-capability/);
  expect(existsSync(join(root, "fresh"))).toBe(false);
});

interface Plan {
  renames: number[];
  removes: number[];
  modifies: number[];
  adds: number;
}

/** Builds a random, valid change over a base of `n` requirements and the scenario IDs it must leave. */
function buildChange(n: number, plan: Plan): { delta: string; expected: Set<string> } {
  const expected = new Set<string>();
  const removed = new Set(plan.removes);
  const renamed = new Set(plan.renames.filter((i) => !removed.has(i)));
  const lines: string[] = [];
  if (renamed.size) lines.push("## RENAMED Requirements", ...[...renamed].flatMap((i) => [`- FROM: \`### Requirement: Requirement ${i}\``, `- TO: \`### Requirement: Renamed ${i}\``]), "");
  if (removed.size) lines.push("## REMOVED Requirements", ...[...removed].map((i) => `### Requirement: Requirement ${i}\n`), "");
  const modified = [...new Set(plan.modifies)].filter((i) => !removed.has(i));
  if (modified.length) {
    lines.push("## MODIFIED Requirements");
    for (const i of modified) lines.push(requirementMarkdown("law", i, { name: renamed.has(i) ? `Renamed ${i}` : `Requirement ${i}`, body: `The gateway SHALL do modified thing ${i}.`, scenarios: [{}, { name: `Extra ${i}` }] }));
  }
  if (plan.adds) {
    lines.push("## ADDED Requirements");
    for (let k = 0; k < plan.adds; k++) lines.push(requirementMarkdown("law", 100 + k, { name: `Added ${k}` }));
  }
  for (let i = 1; i <= n; i++) {
    if (removed.has(i)) continue;
    expected.add(`law.req-${i}.case-0`);
    if (modified.includes(i)) expected.add(`law.req-${i}.case-1`);
  }
  for (let k = 0; k < plan.adds; k++) expected.add(`law.req-${100 + k}.case-0`);
  return { delta: lines.join("\n"), expected };
}

scenario("spec.archive.laws", { targets: ["host"], timeout: 120_000 }, () => {
  // Identity: an empty change leaves every real spec byte-identical.
  const real = discoverCorpus(join(new URL("../..", import.meta.url).pathname, "specs"));
  for (const c of real.capabilities) {
    expect(applyDeltas(c.name, c.file.source, extractSpecDocument("empty", "# nothing\n"), "empty").source).toBe(c.file.source);
  }
  const n = 6;
  const base = specMarkdown("law", "law", Array.from({ length: n }, () => ({})));
  const index = fc.integer({ min: 1, max: n });
  fc.assert(
    fc.property(fc.record({ renames: fc.array(index, { maxLength: 3 }), removes: fc.uniqueArray(index, { maxLength: 3 }), modifies: fc.array(index, { maxLength: 3 }), adds: fc.nat({ max: 3 }) }), (plan) => {
      const { delta, expected } = buildChange(n, plan);
      const applied = applyDeltas("law", base, extractSpecDocument("delta", delta), "c");
      expect(applied.problems).toEqual([]);
      const after = checkDiscovered({ root: "/law", layout: "atomicnix", capabilities: [{ name: "law", file: { path: "/law/spec.md", display: "law/spec.md", source: applied.source } }], changes: [] });
      expect(after.diagnostics).toEqual([]);
      expect(new Set(after.catalogue.scenarios.map((s) => s.id))).toEqual(expected);
    }),
    { numRuns: 150 },
  );
});
