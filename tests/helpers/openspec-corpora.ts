import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { checkCorpus } from "../../compiler/corpus/check.js";
import { runOpenSpecIn } from "../../compiler/openspec/stage.js";

/**
 * OpenSpec's own specs (MIT), kept outside the repository. With internet access:
 * `git clone https://github.com/Fission-AI/OpenSpec` and point ATOMICNIX_OPENSPEC_SELF
 * at the clone (the folder holding openspec/); see ../shared/corpora/openspec-self/SOURCE.md.
 */
export const OPENSPEC_SELF = process.env.ATOMICNIX_OPENSPEC_SELF ?? new URL("../../../shared/corpora/openspec-self", import.meta.url).pathname;

export interface Verdict {
  item: string;
  valid: boolean;
  issues: string[];
}

const norm = (items: { type: string; id: string; valid: boolean; issues: { level: string; message: string }[] }[]): Verdict[] =>
  items.map((i) => ({ item: `${i.type}/${i.id}`, valid: i.valid, issues: i.issues.map((x) => `${x.level} ${x.message}`).sort() })).sort((a, b) => (a.item < b.item ? -1 : 1));

/** The real `openspec validate --all --strict` and our `--rules openspec` on one folder holding openspec/. */
export function bothVerdicts(dir: string): { theirs: Verdict[]; ours: Verdict[] } {
  const theirs = runOpenSpecIn(dir).report.items;
  const ours = checkCorpus(dir, { rules: "openspec" }).items!;
  return { theirs: norm(theirs), ours: norm(ours) };
}

/** A private copy (OpenSpec may write state next to the root it validates). */
export function copyOfOpenSpecSelf(): string {
  if (!existsSync(join(OPENSPEC_SELF, "openspec"))) throw new Error(`${OPENSPEC_SELF}/openspec is missing: the openspec-self corpus is required (see tests/helpers/openspec-corpora.ts)`);
  const dir = mkdtempSync(join(tmpdir(), "atomicnix-openspec-self-"));
  cpSync(join(OPENSPEC_SELF, "openspec"), join(dir, "openspec"), { recursive: true });
  return dir;
}

// ---- generated corpora -------------------------------------------------------

const words = fc.constantFrom("auth", "login", "token", "cache", "report", "sync", "export", "limits", "Audit Trail", "C#", "api ###");
const shall = fc.constantFrom("The system SHALL do it.", "The system MUST log it.", "The system does it.", "", "**ID**: `x.y`", "```\nThe system SHALL only in a fence.\n```", "<!-- SHALL in a comment -->\nPlain text.", "A".repeat(520) + " SHALL.");
const steps = fc.constantFrom("- **WHEN** it runs\n- **THEN** it works", "", "- **WHEN** only when", "```\n#### Scenario: fenced\n```", "Plain prose step.");
const scenario = fc.record({ title: fc.constantFrom("Scenario: Works", "Scenario: Fails", "Edge case", "Scenario: Works"), body: steps });
const requirement = fc.record({ name: words, body: shall, scenarios: fc.array(scenario, { maxLength: 3 }), header: fc.constantFrom("### Requirement: ", "### Requirement: ", "### requirement: ", "### ") });
const purpose = fc.constantFrom(
  "This capability exists so that the generated corpora exercise the OpenSpec validator.",
  "Too short.",
  "TBD - created by archiving change x. Update Purpose after archive.",
  "TODO: write this",
  "",
);

function requirementText(r: { name: string; body: string; header: string; scenarios: { title: string; body: string }[] }): string {
  return [`${r.header}${r.name}`, r.body, "", ...r.scenarios.flatMap((s) => [`#### ${s.title}`, s.body, ""])].join("\n");
}

const specText = fc
  .record({ purpose, requirements: fc.array(requirement, { maxLength: 4 }), extra: fc.constantFrom("", "## ADDED Requirements\n", "### Requirement: Outside\nThe system SHALL.\n", "## Notes\nnothing\n"), noRequirementsSection: fc.boolean() })
  .map((s) => [`# spec`, "", "## Purpose", s.purpose, "", s.noRequirementsSection ? "## Reqs" : "## Requirements", "", ...s.requirements.map(requirementText), s.extra].join("\n"));

/** Well-formed specs: without them nearly every generated item fails and agreement proves little. */
const goodRequirement = fc.record({ name: words, body: fc.constant("The system SHALL do the right thing."), scenarios: fc.array(fc.record({ title: fc.constantFrom("Scenario: Works", "Scenario: Also works"), body: fc.constant("- **WHEN** it runs\n- **THEN** it works") }), { minLength: 1, maxLength: 2 }), header: fc.constant("### Requirement: ") });
const goodSpecText = fc
  .uniqueArray(goodRequirement, { minLength: 1, maxLength: 3, selector: (r) => r.name.toLowerCase() })
  .map((reqs) => ["# spec", "", "## Purpose", "This capability exists so that the generated corpora exercise the OpenSpec validator.", "", "## Requirements", "", ...reqs.map(requirementText)].join("\n"));

const deltaText = fc
  .record({
    added: fc.array(requirement, { maxLength: 2 }),
    modified: fc.array(requirement, { maxLength: 2 }),
    removed: fc.array(words, { maxLength: 2 }),
    renamed: fc.array(fc.tuple(words, words, fc.constantFrom("pair", "from-only", "to-only")), { maxLength: 2 }),
    orphan: fc.boolean(),
    emptySection: fc.boolean(),
  })
  .map((d) => {
    const out: string[] = [];
    if (d.orphan) out.push("### Requirement: Orphan", "The system SHALL.", "");
    if (d.added.length) out.push("## ADDED Requirements", ...d.added.map(requirementText));
    if (d.modified.length) out.push("## MODIFIED Requirements", ...d.modified.map(requirementText));
    if (d.removed.length) out.push("## REMOVED Requirements", ...d.removed.map((n) => `### Requirement: ${n}`), "");
    if (d.renamed.length) {
      out.push("## RENAMED Requirements");
      for (const [from, to, kind] of d.renamed) {
        if (kind !== "to-only") out.push(`- FROM: \`### Requirement: ${from}\``);
        if (kind !== "from-only") out.push(`- TO: \`### Requirement: ${to}\``);
      }
      out.push("");
    }
    if (d.emptySection) out.push("## ADDED Requirements", "nothing here", "");
    return out.join("\n");
  });

const tasks = fc.constantFrom(undefined, "- [ ] 1.1 Do it\n- [x] 1.2 Done\n", "## 1. Group\n- [ ] 2.1 Misplaced\n- [ ] 1.1 A\n- [ ] 1.1 Again\n", "- just a bullet\n", "No tasks at all.\n");

/** Line-level damage: drop, duplicate or swap lines (what an author's edit might do). */
const mutation = fc.oneof(fc.constant([] as [number, string][]), fc.array(fc.tuple(fc.nat(), fc.constantFrom("drop", "dup", "swap", "fence")), { maxLength: 3 }));

function mutate(text: string, edits: [number, string][]): string {
  const lines = text.split("\n");
  for (const [at, op] of edits) {
    const i = at % Math.max(lines.length, 1);
    if (op === "drop") lines.splice(i, 1);
    else if (op === "dup") lines.splice(i, 0, lines[i] ?? "");
    else if (op === "swap" && i + 1 < lines.length) [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
    else if (op === "fence") lines.splice(i, 0, "```");
  }
  return lines.join("\n");
}

const capabilityId = fc.constantFrom("auth", "cache", "area/export", "area/sync", "reports");

export const openSpecCorpus = fc.record({
  specs: fc.uniqueArray(fc.tuple(capabilityId, fc.oneof(goodSpecText, specText), mutation), { maxLength: 4, selector: (s) => s[0] }),
  changes: fc.uniqueArray(
    fc.record({
      name: fc.constantFrom("add-thing", "fix-thing", "rework"),
      deltas: fc.uniqueArray(fc.tuple(capabilityId, fc.oneof(goodSpecText.map((t) => t.replace("## Requirements", "## ADDED Requirements")), deltaText), mutation), { maxLength: 3, selector: (d) => d[0] }),
      tasks,
      misplaced: fc.constantFrom("none", "none", "none", "root-spec", "notes-md", "folder-named-spec"),
      nested: fc.constantFrom(false, false, false, true),
    }),
    { maxLength: 2, selector: (c) => c.name },
  ),
});

export type GeneratedCorpus = typeof openSpecCorpus extends fc.Arbitrary<infer T> ? T : never;

/** Writes a generated corpus as `<tmp>/openspec/...` and returns the folder. */
export function writeOpenSpecCorpus(c: GeneratedCorpus): string {
  const dir = mkdtempSync(join(tmpdir(), "atomicnix-gen-openspec-"));
  const put = (path: string, text: string) => {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  mkdirSync(join(dir, "openspec", "specs"), { recursive: true });
  for (const [id, text, edits] of c.specs) put(`openspec/specs/${id}/spec.md`, mutate(text, edits));
  for (const ch of c.changes) {
    const base = ch.nested ? `openspec/changes/${ch.name}/inner` : `openspec/changes/${ch.name}`;
    put(`${base}/proposal.md`, "## Why\nBecause the generated corpus needs a change.\n\n## What Changes\n- things\n");
    if (ch.tasks !== undefined) put(`${base}/tasks.md`, ch.tasks);
    for (const [id, text, edits] of ch.deltas) put(`${base}/specs/${id}/spec.md`, mutate(text, edits));
    if (ch.misplaced === "root-spec") put(`${base}/specs/spec.md`, "## ADDED Requirements\n### Requirement: R\nThe system SHALL.\n#### Scenario: S\n- **WHEN** x\n- **THEN** y\n");
    if (ch.misplaced === "notes-md") put(`${base}/specs/notes.md`, "## ADDED Requirements\n### Requirement: R\nThe system SHALL.\n");
    if (ch.misplaced === "folder-named-spec") mkdirSync(join(dir, base, "specs", "odd", "spec.md"), { recursive: true });
  }
  return dir;
}
