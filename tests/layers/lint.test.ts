// The layer rules in biome.json (`npm run lint`): a planted bad import in a temporary
// copy of the config must fail naming the file and the rule, an allowed one must not,
// and the real tree must pass.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = join(import.meta.dirname, "..", "..");
const BIOME = join(REPO, "node_modules", ".bin", "biome");

interface Diagnostic {
  severity: string;
  category: string;
  message: string;
  location: { path: string; start: { line: number } };
}

function lint(cwd: string): { status: number | null; diagnostics: Diagnostic[]; stderr: string } {
  const r = spawnSync(BIOME, ["lint", "--reporter=json", "--max-diagnostics=none"], { cwd, encoding: "utf8" });
  const json = r.stdout.trim() ? (JSON.parse(r.stdout) as { diagnostics: Diagnostic[] }) : { diagnostics: [] };
  return { status: r.status, diagnostics: json.diagnostics, stderr: r.stderr };
}

/** One import per file, each named for what it tests; `ok` files must lint clean. */
const FILES: Record<string, string> = {
  "device/area/bad-compiler.ts": 'import { a } from "../../compiler/x/a.js";\nexport const b = a;\n',
  "device/area/bad-dynamic.ts": 'export const b = async () => (await import("../../conformance/cli/run.js")).run;\n',
  "device/area/bad-type-only.ts": 'import type { A } from "../../compiler/x/a.js";\nexport type B = A;\n',
  "device/area/bad-dispatcher.ts": 'import { c } from "../../cli/commands.js";\nexport const b = c;\n',
  "device/area/ok.ts": 'import { l } from "../../lib/l.js";\nimport { g } from "../../generated/g.js";\nimport { o } from "./own.js";\nexport const b = [l, g, o];\n',
  "device/area/own.ts": "export const o = 1;\n",
  "compiler/x/a.ts": "export const a = 1;\nexport type A = number;\n",
  "compiler/x/bad-device.ts": 'export { b } from "../../device/area/ok.js";\n',
  "compiler/x/bad-cli.ts": 'import { main } from "../../cli/main.js";\nexport const m = main;\n',
  "compiler/x/ok.ts": 'import { l } from "../../lib/l.js";\nimport { a } from "./a.js";\nexport const c = [l, a];\n',
  "conformance/cli/run.ts": "export const run = 1;\n",
  "conformance/bad-twin.ts": 'import { s } from "../twin/suite.js";\nexport const c = s;\n',
  "conformance/ok.ts": 'import { a } from "../compiler/x/a.js";\nimport { l } from "../lib/l.js";\nexport const c = [a, l];\n',
  "twin/suite.ts": "export const s = 1;\n",
  "twin/bad-run.ts": 'import { run } from "../conformance/cli/run.js";\nexport const t = run;\n',
  "lib/l.ts": "export const l = 1;\n",
  "lib/bad-up.ts": 'import { a } from "../compiler/x/a.js";\nexport const u = a;\n',
  "lib/cycle-p.ts": 'import { q } from "./cycle-q.js";\nexport const p = () => q;\n',
  "lib/cycle-q.ts": 'import { p } from "./cycle-p.js";\nexport const q = () => p;\n',
  "generated/g.ts": "export const g = 1;\n",
  "generated/bad-lib.ts": 'import { l } from "../lib/l.js";\nexport const x = l;\n',
};

describe("layer lint rules (biome.json)", () => {
  let dir: string;
  let result: ReturnType<typeof lint>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "atomicnix-lint-"));
    // The real config and ignore file, so the test checks what `npm run lint` uses.
    copyFileSync(join(REPO, "biome.json"), join(dir, "biome.json"));
    copyFileSync(join(REPO, ".gitignore"), join(dir, ".gitignore"));
    for (const [file, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    result = lint(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const restricted: [file: string, line: number][] = [
    ["device/area/bad-compiler.ts", 1],
    ["device/area/bad-dynamic.ts", 1],
    ["device/area/bad-type-only.ts", 1],
    ["device/area/bad-dispatcher.ts", 1],
    ["compiler/x/bad-device.ts", 1],
    ["compiler/x/bad-cli.ts", 1],
    ["conformance/bad-twin.ts", 1],
    ["twin/bad-run.ts", 1],
    ["lib/bad-up.ts", 1],
    ["generated/bad-lib.ts", 1],
  ];
  it.each(restricted)("%s fails with noRestrictedImports at line %i", (file, line) => {
    expect(result.status).toBe(1);
    const hit = result.diagnostics.filter((d) => d.location.path === file);
    expect(hit.map((d) => [d.category, d.severity, d.location.start.line])).toEqual([["lint/style/noRestrictedImports", "error", line]]);
    expect(hit[0]!.message).toMatch(new RegExp(`^${file.split("/")[0]}/`));
  });

  it("a two-file cycle fails with noImportCycles naming both files", () => {
    const cycle = result.diagnostics.filter((d) => d.category === "lint/suspicious/noImportCycles").map((d) => d.location.path);
    expect(cycle.sort()).toEqual(["lib/cycle-p.ts", "lib/cycle-q.ts"]);
  });

  it("allowed imports (own folder, lib/, generated/, compiler/ from conformance/) are not flagged", () => {
    const flagged = new Set(result.diagnostics.map((d) => d.location.path));
    for (const file of Object.keys(FILES).filter((f) => !/\/(bad-|cycle-)/.test(f))) expect(flagged.has(file), file).toBe(false);
    expect(result.diagnostics).toHaveLength(restricted.length + 2);
  });

  it("the real tree passes", () => {
    const real = lint(REPO);
    expect(real.diagnostics.map((d) => `${d.location.path}:${d.location.start.line} ${d.category}`)).toEqual([]);
    expect(real.status, real.stderr).toBe(0);
  });
});
