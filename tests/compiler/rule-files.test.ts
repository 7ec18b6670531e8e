import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { RULES } from "../../compiler/spec/rules/index.js";
import type { Rule } from "../../compiler/spec/rules/types.js";
import { runCli, REPO } from "../helpers/spec-fixtures.js";

const onHost = { targets: ["host"] } as const;
const RULES_DIR = join(REPO, "compiler", "spec", "rules");
/** Files in the rules folder that hold shared code, not a rule. */
const HELPERS = new Set(["index.ts", "types.ts", "limits.ts", "baseline.ts"]);

scenario("spec.openspec-exact.rule-files", onHost, async () => {
  const files = readdirSync(RULES_DIR).filter((f) => f.endsWith(".ts") && !HELPERS.has(f));
  expect(files.length).toBeGreaterThan(50);
  const fromFiles: Rule[] = [];
  for (const f of files) {
    const { rule } = (await import(pathToFileURL(join(RULES_DIR, f)).href)) as { rule?: Rule };
    expect(rule, `${f} exports no rule`).toBeDefined();
    expect(rule!.id, f).toBe(basename(f, ".ts"));
    fromFiles.push(rule!);
  }
  // The index lists each file's object once, and nothing else.
  expect(new Set(RULES).size).toBe(RULES.length);
  expect([...RULES].sort((a, b) => a.id.localeCompare(b.id))).toEqual(fromFiles.sort((a, b) => a.id.localeCompare(b.id)));
  for (const r of RULES) expect(fromFiles.includes(r), r.id).toBe(true);
  for (const r of RULES) {
    expect(["error", "warning", "info"], r.id).toContain(r.severity);
    expect([null, "ERROR", "WARNING", "INFO"], r.id).toContain(r.openspecLevel);
    expect(r.doc.length, r.id).toBeGreaterThan(10);
    // The wording the table prints must not contradict the level: it names it, or says OpenSpec has no such rule.
    if (r.openspecNote) expect(r.openspecNote, r.id).toMatch(r.openspecLevel ? new RegExp(`\\b${r.openspecLevel}\\b`) : /^no\b/);
    // OpenSpec's own rules carry its level as their severity.
    if (r.set === "openspec") expect(r.severity, r.id).toBe({ ERROR: "error", WARNING: "warning", INFO: "info" }[r.openspecLevel!]);
    const { elsewhere, ...checks } = r.check;
    expect(Object.keys(checks).length > 0 || elsewhere !== undefined, `${r.id} has no check`).toBe(true);
    for (const [scope, fn] of Object.entries(checks)) expect(typeof fn, `${r.id}.check.${scope}`).toBe("function");
    if (elsewhere) {
      const module = elsewhere.split(" ")[0]!;
      expect(existsSync(join(REPO, module)), `${r.id}: ${module}`).toBe(true);
    }
  }
});

scenario("spec.openspec-exact.explain-fields", onHost, () => {
  // --explain prints the rule object itself: a warning-level rule shows as one, in text and JSON.
  const text = runCli(["spec", "check", "--explain", "change-size"]);
  expect(text.stdout).toMatch(/^change-size \(--rules atomicnix, warning\)$/m);
  const all = JSON.parse(runCli(["spec", "check", "--explain", "all", "--json"]).stdout) as { rule: string; severity: string; openspecLevel: string | null }[];
  expect(all.map((r) => [r.rule, r.severity, r.openspecLevel])).toEqual(RULES.map((r) => [r.id, r.severity, r.openspecLevel]));
});

scenario("spec.compile.rules-table", onHost, () => {
  const original = readFileSync(join(REPO, "docs", "spec-format.md"), "utf8");
  const dir = mkdtempSync(join(tmpdir(), "atomicnix-rules-doc-"));
  const copy = join(dir, "spec-format.md");
  const out = join(dir, "generated");
  const compile = (...extra: string[]) => runCli(["spec", "compile", "--specs", join(REPO, "specs"), "--out", out, "--docs", copy, ...extra]);
  // A rule's row edited by hand, as if its file had changed and the table had not been regenerated.
  const row = /^\| `id-format` \|.*$/m;
  expect(original).toMatch(row);
  writeFileSync(copy, original.replace(row, "| `id-format` | atomicnix | IDs are anything | no |"));
  expect(compile().status).toBe(0);
  expect(readFileSync(copy, "utf8")).toBe(original);
  expect(compile("--check").status).toBe(0);

  writeFileSync(copy, original.replace(row, "| `id-format` | atomicnix | IDs are anything | no |"));
  const drifted = compile("--check");
  expect(drifted.status).toBe(1);
  expect(drifted.stdout).toContain(`${copy}: the rules table differs`);
  const json = JSON.parse(compile("--check", "--json").stdout) as { ok: boolean; docs: { state: string } };
  expect(json).toMatchObject({ ok: false, docs: { state: "changed" } });
  // --check leaves the file alone.
  expect(readFileSync(copy, "utf8")).not.toBe(original);

  // A table whose end marker is gone is an error naming the file and the start marker's line.
  const start = original.split("\n").findIndex((l) => l.startsWith("<!-- rules-table:start")) + 1;
  writeFileSync(copy, original.replace("<!-- rules-table:end -->", ""));
  const broken = compile("--check");
  expect(broken.status).toBe(1);
  expect(broken.stderr).toContain(`${copy}:${start}: "<!-- rules-table:start -->" has no "<!-- rules-table:end -->"`);
  expect(compile("--check", "--docs", join(dir, "missing.md")).status).toBe(2);
});
