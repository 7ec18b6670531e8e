import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { NixSyntaxError, nixParseText } from "../../nix/checks/nix-ast.js";
import { repoRoot } from "../../nix/checks/repo.js";

const onHost = { targets: ["host"] } as const;
const root = repoRoot();

/** Every .nix file of the checkout (build outputs, caches and dependencies left out), sorted. */
function nixFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", ".git", "dist", "evidence", ".cache"].includes(e.name) || /^result(-|$)/.test(e.name)) continue;
    if (e.isDirectory()) nixFiles(join(dir, e.name), out);
    else if (e.isFile() && e.name.endsWith(".nix")) out.push(relative(root, join(dir, e.name)).split(sep).join("/"));
  }
  return out.sort();
}

scenario("build.nix-definition.parses", onHost, () => {
  const files = nixFiles(root);
  // flake.nix, 14 modules, the derivations and the checks at least.
  expect(files.length).toBeGreaterThanOrEqual(25);
  const errors: string[] = [];
  for (const f of files) {
    try {
      nixParseText(join(root, f));
    } catch (e) {
      errors.push(e instanceof NixSyntaxError ? `${f}:${e.line}:${e.column}: ${e.detail}` : `${f}: ${(e as Error).message}`);
    }
  }
  expect(errors, errors.join("\n")).toEqual([]);

  // The same runner reports a broken file with its line and column.
  const dir = mkdtempSync(join(tmpdir(), "nix-parse-"));
  const bad = join(dir, "broken.nix");
  writeFileSync(bad, "{ lib, ... }:\n{\n  a = 1;\n  b = ;\n}\n");
  let err: unknown;
  try {
    nixParseText(bad);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NixSyntaxError);
  expect((err as NixSyntaxError).line).toBe(4);
  expect((err as NixSyntaxError).message).toMatch(/broken\.nix:4:\d+: syntax error/);
});
