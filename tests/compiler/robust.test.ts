import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { checkDiscovered } from "../../compiler/corpus/check.js";
import type { CorpusFiles } from "../../compiler/corpus/discover.js";
import { EN18031_FILE, REPO } from "../helpers/spec-fixtures.js";

const realSpecs = readdirSync(join(REPO, "specs"))
  .map((d) => join(REPO, "specs", d, "spec.md"))
  .filter((p) => existsSync(p))
  .map((p) => readFileSync(p, "utf8"));

function corpusOf(source: string, delta?: string): CorpusFiles {
  return {
    root: "/fuzz",
    layout: "atomicnix",
    en18031File: EN18031_FILE,
    capabilities: [{ name: "fuzz", file: { path: "/fuzz/fuzz/spec.md", display: "fuzz/spec.md", source } }],
    changes: delta === undefined ? [] : [{ name: "c", dir: "/fuzz/changes/c", archived: false, proposal: { path: "/p", display: "p.md", source: "## Why\nx\n## What Changes\ny" }, deltas: [{ capability: "fuzz", file: { path: "/d", display: "d.md", source: delta } }] }],
  };
}

const markdownChunks = fc.constantFrom("# t\n", "## Purpose\n", "## Requirements\n", "### Requirement: x\n", "#### Scenario: y\n", "**ID**: `a.b`\n", "**Level**: unit\n", "**EN18031**: ACM-1\n", "- **WHEN** w\n", "- **THEN** t\n", "| a | b |\n|---|---|\n| `x` | y |\n", "## Schemas\n### Schema: s\n**ID**: `s`\n", "```\ncode\n```\n", "## ADDED Requirements\n", "- FROM: `### Requirement: x`\n- TO: `### Requirement: z`\n", "\\", "`", "|", "**", "\n");

const mutated = fc
  .tuple(fc.constantFrom(...realSpecs), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 400 }), fc.string({ maxLength: 20 }), fc.nat({ max: 3 })), { maxLength: 6 }))
  .map(([source, edits]) => {
    let s = source;
    for (const [pos, len, text, op] of edits) {
      const at = pos % (s.length + 1);
      if (op === 0) s = s.slice(0, at) + s.slice(at + len);
      else if (op === 1) s = s.slice(0, at) + text + s.slice(at);
      else if (op === 2) s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
      else s = s.slice(0, at) + s.slice(at, at + len).split("\n").reverse().join("\n") + s.slice(at + len);
    }
    return s;
  });

const anyMarkdown = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 200 }), fc.array(markdownChunks, { maxLength: 40 }).map((a) => a.join("")), mutated);

scenario("spec.robust.fuzz", { targets: ["host"], timeout: 120_000 }, () => {
  let findings = 0;
  fc.assert(
    fc.property(anyMarkdown, fc.option(anyMarkdown), (source, delta) => {
      const result = checkDiscovered(corpusOf(source, delta ?? undefined));
      findings += result.diagnostics.length;
      for (const d of result.diagnostics) {
        if (!(d.line >= 1 && d.column >= 1 && d.rule && d.message)) return false;
      }
      return true;
    }),
    { numRuns: 800 },
  );
  expect(findings).toBeGreaterThan(0);
});
