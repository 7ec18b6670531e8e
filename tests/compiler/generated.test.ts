import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { checkCorpus } from "../../compiler/corpus/check.js";
import { runOpenSpecValidate } from "../../compiler/openspec/stage.js";
import { REPO } from "../helpers/spec-fixtures.js";

const onHost = { targets: ["host"] } as const;

scenario("spec.openspec-rules.cli-agrees", { targets: ["host"], timeout: 120_000 }, () => {
  const ours = checkCorpus(join(REPO, "specs"));
  const theirs = runOpenSpecValidate(join(REPO, "specs"));
  const invalid = theirs.report.items.filter((i) => !i.valid).map((i) => `${i.type} ${i.id}: ${i.issues.map((x) => `${x.level} ${x.path} ${x.message}`).join("; ")}`);
  expect(invalid).toEqual([]);
  expect(theirs.exitCode).toBe(0);
  expect(theirs.report.summary.totals.items).toBe(ours.totals.capabilities + ours.totals.changes);
  expect(ours.diagnostics).toEqual([]);
});

scenario("spec.compile.typed-ids", { targets: ["host"], timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(REPO, "node_modules", ".atomicnix-typed-"));
  try {
    const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
    const probe = (id: string) => {
      writeFileSync(join(dir, "probe.ts"), `import type { ScenarioId } from "${join(REPO, "generated", "scenarios.js")}";\nexport const id: ScenarioId = ${JSON.stringify(id)};\n`);
      return spawnSync(process.execPath, [tsc, "--ignoreConfig", "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", join(dir, "probe.ts")], { encoding: "utf8" });
    };
    const good = probe("spec.compile.typed-ids");
    const bad = probe("spec.compile.no-such-scenario");
    expect(good.stdout + good.stderr).toBe("");
    expect(good.status).toBe(0);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/no-such-scenario/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

scenario("spec.compile.trace", onHost, () => {
  const trace = JSON.parse(readFileSync(join(REPO, "generated", "trace.json"), "utf8")) as { requirements: { id: string; requirements: { id: string; scenarios: { id: string }[] }[] }[] };
  const catalogue = checkCorpus(join(REPO, "specs")).catalogue;
  expect(trace.requirements).toHaveLength(33);
  for (const en of trace.requirements) {
    const citing = catalogue.requirements.filter((r) => r.en18031.includes(en.id));
    expect(en.requirements.map((r) => r.id)).toEqual(citing.map((r) => r.id));
    for (const r of en.requirements) expect(r.scenarios.map((s) => s.id)).toEqual(citing.find((c) => c.id === r.id)!.scenarios);
  }
  expect(trace.requirements.some((en) => en.requirements.length > 0)).toBe(true);
});
