import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, vi } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { run } from "../../cli/main.js";
import { RULES, rulesTable } from "../../compiler/spec/rule-catalogue.js";
import { REPO, runCli, specMarkdown, writeSpecTree } from "../helpers/spec-fixtures.js";

/** A tree with every odd entry the checker must survive. */
function oddTree(): string {
  const big = specMarkdown("huge", "huge", Array.from({ length: 40_000 }, () => ({})));
  const root = writeSpecTree({
    "fine/spec.md": specMarkdown("fine", "fine", [{}]),
    "random/spec.md": "",
    "nested/spec.md": `${"> ".repeat(100_000)}x\n${"- ".repeat(50_000)}y\n${"[".repeat(50_000)}\n## Requirements\n${"### Requirement: x\n".repeat(3)}`,
    "huge/spec.md": big,
    "changes/c1/tasks.md": "- [ ] 1.1 do\n",
    "changes/c1/specs/fine/spec.md": "## ADDED Requirements\n### Requirement: New\nThe gateway SHALL.\n",
    "openish/specs/deep/er/spec.md": specMarkdown("deep", "deep", [{}]),
  });
  writeFileSync(join(root, "random", "spec.md"), randomBytes(64 * 1024));
  mkdirSync(join(root, "dir-named", "spec.md"), { recursive: true });
  mkdirSync(join(root, "changes", "c1", "proposal.md"), { recursive: true });
  mkdirSync(join(root, "changes", "c2", "specs", "fine", "spec.md"), { recursive: true });
  mkdirSync(join(root, "fifo"), { recursive: true });
  spawnSync("mkfifo", [join(root, "fifo", "spec.md")]);
  mkdirSync(join(root, "loop"), { recursive: true });
  symlinkSync(join(root, "loop"), join(root, "loop", "again"));
  symlinkSync(join(root, "nowhere"), join(root, "dangling"));
  mkdirSync(join(root, "dangling-spec"), { recursive: true });
  symlinkSync(join(root, "nowhere.md"), join(root, "dangling-spec", "spec.md"));
  return root;
}

scenario("spec.robust.odd-entries", { targets: ["host"], timeout: 180_000 }, () => {
  const root = oddTree();
  expect(readFileSync(join(root, "huge", "spec.md")).length).toBeGreaterThan(10_000_000);
  const openspecRoot = mkdtempSync(join(tmpdir(), "atomicnix-odd-os-"));
  mkdirSync(join(openspecRoot, "openspec"));
  for (const e of readdirSync(root)) if (e !== "changes") symlinkSync(join(root, e), join(openspecRoot, "openspec", e === "openish" ? "specs" : e));
  symlinkSync(join(root, "changes"), join(openspecRoot, "openspec", "changes"));
  try {
    for (const [path, rules] of [[root, "atomicnix"], [root, "openspec"], [openspecRoot, "openspec"]] as const) {
      for (const json of [false, true]) {
        const r = runCli(["spec", "check", path, "--rules", rules, ...(json ? ["--json"] : [])]);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(r.stderr).not.toMatch(/internal error|EISDIR|ENOENT|ELOOP/);
        expect([0, 1]).toContain(r.status);
        if (json) {
          const report = JSON.parse(r.stdout);
          expect(report.totals.capabilities).toBeGreaterThan(0);
        } else expect(r.stdout).toMatch(/capabilities/);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(openspecRoot, { recursive: true, force: true });
  }
});

scenario("spec.robust.internal-error", { targets: ["host"] }, async () => {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
  const boom = { load: async () => async () => Promise.reject(new Error("boom in the checker")) };
  let plain: number;
  let json: number;
  try {
    plain = await run(boom, "spec check", []);
    json = await run(boom, "spec check", ["--json"]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  expect(plain).toBe(2);
  expect(json).toBe(2);
  expect(err.join("")).toMatch(/atomicnix spec check: internal error: boom in the checker/);
  expect(JSON.parse(out.join(""))).toEqual({ ok: false, internalError: "boom in the checker" });
});

scenario("spec.openspec-exact.explain", { targets: ["host"] }, () => {
  // Every rule name the compiler can report has an entry.
  const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [readFileSync(join(dir, e.name), "utf8")] : []));
  const reported = new Set(sources(join(REPO, "compiler")).flatMap((s) => [...s.matchAll(/(?:report\(|rule: )"([a-z0-9-]+)"/g)].map((m) => m[1]!)));
  expect([...reported].filter((r) => !RULES.some((x) => x.rule === r))).toEqual([]);
  for (const rule of ["delta-target", "os-requirement-length", "requirement-length"]) {
    const r = runCli(["spec", "check", "--explain", rule]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(rule);
    expect(r.stdout).toMatch(/OpenSpec: (ERROR|WARNING|INFO|no)/);
  }
  expect(runCli(["spec", "check", "--explain", "requirement-length"]).stdout).toMatch(/OpenSpec: INFO/);
  expect(runCli(["spec", "check", "--explain", "no-such-rule"]).status).toBe(2);
  // docs/spec-format.md carries the same table.
  expect(readFileSync(join(REPO, "docs", "spec-format.md"), "utf8")).toContain(rulesTable());
});

scenario("spec.fast.bundle-current", { targets: ["host"], timeout: 120_000 }, () => {
  const repo = mkdtempSync(join(tmpdir(), "atomicnix-bundle-"));
  try {
    mkdirSync(join(repo, "bin"));
    mkdirSync(join(repo, "cli"), { recursive: true });
    for (const f of ["atomicnix.js", "cli-bundle.js"]) copyFileSync(join(REPO, "bin", f), join(repo, "bin", f));
    writeFileSync(join(repo, "package-lock.json"), "{}\n");
    symlinkSync(join(REPO, "node_modules"), join(repo, "node_modules"));
    const write = (v: string) => {
      writeFileSync(join(repo, "cli", "main.ts"), `import { version } from "./version.js";\nexport async function main(argv: string[]): Promise<number> {\n  console.log(version + " " + argv.join(","));\n  return 0;\n}\n`);
      writeFileSync(join(repo, "cli", "version.ts"), `export const version: string = "${v}";\n`);
    };
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(repo, "bin", "atomicnix.js"), ...args], { encoding: "utf8", env: { ...process.env, ATOMICNIX_CLI_SOURCE: "" } });
    const check = () => spawnSync(process.execPath, [join(repo, "bin", "cli-bundle.js"), "--check"], { encoding: "utf8" }).status;
    write("v1");
    expect(check()).toBe(1);
    expect(cli("a").stdout).toBe("v1 a\n");
    expect(check()).toBe(0);
    // A change in an imported module, not only the entry, makes the bundle stale.
    writeFileSync(join(repo, "cli", "version.ts"), `export const version: string = "v2";\n`);
    expect(check()).toBe(1);
    expect(cli("b").stdout).toBe("v2 b\n");
    expect(check()).toBe(0);
    // The bundle is plain JavaScript: no TypeScript loader is involved at run time.
    const bundles = readdirSync(join(repo, ".cache", "cli")).filter((d) => !d.endsWith(".json"));
    expect(bundles.length).toBeGreaterThan(0);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});
