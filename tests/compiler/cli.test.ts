import { mkdtempSync, writeFileSync, readFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { runCli, specMarkdown, writeSpecTree, REPO } from "../helpers/spec-fixtures.js";

const onHost = { targets: ["host"] } as const;

scenario("spec.cli.clean-json", onHost, () => {
  const root = writeSpecTree({ "alpha/spec.md": specMarkdown("alpha", "alpha", [{}, { scenarios: [{}, {}] }]), "beta/spec.md": specMarkdown("beta", "beta", [{}]) });
  const r = runCli(["spec", "check", root, "--json"]);
  expect(r.status).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report.ok).toBe(true);
  expect(report.totals).toMatchObject({ capabilities: 2, requirements: 3, scenarios: 4, errors: 0 });
  expect(report.files.map((f: { file: string; requirements: number; scenarios: number }) => [f.file.split("/").slice(-2).join("/"), f.requirements, f.scenarios])).toEqual([
    ["alpha/spec.md", 2, 3],
    ["beta/spec.md", 1, 1],
  ]);
});

scenario("spec.cli.findings-exit", onHost, () => {
  const root = writeSpecTree({ "alpha/spec.md": specMarkdown("alpha", "alpha", [{ body: "No modal verb here." }]) });
  const r = runCli(["spec", "check", root]);
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/requirement-shall/);
});

scenario("spec.findings.text-format", onHost, () => {
  const root = writeSpecTree({ "alpha/spec.md": specMarkdown("alpha", "alpha", [{ en: "NOPE-1" }]) });
  const r = runCli(["spec", "check", root]);
  const line = r.stdout.split("\n").find((l) => l.includes("en18031-unknown"));
  expect(line).toMatch(/^\S*alpha\/spec\.md:\d+:\d+ error en18031-unknown: .*NOPE-1/);
});

scenario("spec.cli.usage-exit", onHost, () => {
  const badOption = runCli(["spec", "check", "--frobnicate"]);
  const badCommand = runCli(["spec", "explode"]);
  const badPath = runCli(["spec", "check", join(tmpdir(), "no-such-dir-atomicnix")]);
  for (const r of [badOption, badCommand, badPath]) {
    expect(r.status).toBe(2);
    expect(r.stderr.length).toBeGreaterThan(0);
  }
  expect(badOption.stderr).toMatch(/frobnicate/);
  expect(badCommand.stderr).toMatch(/unknown command "spec explode"/);
});

scenario("spec.roots.openspec-parent", onHost, () => {
  const parent = mkdtempSync(join(tmpdir(), "atomicnix-osroot-"));
  mkdirSync(join(parent, "openspec", "specs", "gamma"), { recursive: true });
  writeFileSync(join(parent, "openspec", "specs", "gamma", "spec.md"), specMarkdown("gamma", "gamma", [{}, {}]));
  for (const path of [parent, join(parent, "openspec")]) {
    const r = runCli(["spec", "check", path, "--json"]);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.layout).toBe("openspec");
    expect(report.totals.requirements).toBe(2);
  }
});

scenario("spec.compile.committed", onHost, () => {
  const r = runCli(["spec", "compile", "--check"], REPO);
  expect(r.stdout + r.stderr).toMatch(/up to date/);
  expect(r.status).toBe(0);
});

scenario("spec.compile.drift", onHost, () => {
  const root = writeSpecTree({ "alpha/spec.md": specMarkdown("alpha", "alpha", [{}]) });
  const out = mkdtempSync(join(tmpdir(), "atomicnix-gen-"));
  expect(runCli(["spec", "compile", "--specs", root, "--out", out]).status).toBe(0);
  expect(runCli(["spec", "compile", "--check", "--specs", root, "--out", out]).status).toBe(0);
  writeFileSync(join(root, "alpha", "spec.md"), specMarkdown("alpha", "alpha", [{}, {}]));
  writeFileSync(join(out, "stale.json"), "{}\n");
  const r = runCli(["spec", "compile", "--check", "--json", "--specs", root, "--out", out]);
  expect(r.status).toBe(1);
  const drift = JSON.parse(r.stdout).drift as { path: string; state: string }[];
  expect(drift).toEqual(expect.arrayContaining([{ path: "catalogue.json", state: "changed" }, { path: "scenarios.ts", state: "changed" }, { path: "stale.json", state: "stale" }]));
  expect(runCli(["spec", "compile", "--specs", root, "--out", out]).status).toBe(0);
  expect(runCli(["spec", "compile", "--check", "--specs", root, "--out", out]).status).toBe(0);
  expect(readFileSync(join(out, "catalogue.json"), "utf8")).toContain("alpha.req-2.case-0");
});
