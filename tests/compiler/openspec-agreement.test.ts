import { rmSync } from "node:fs";
import fc from "fast-check";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { bothVerdicts, copyOfOpenSpecSelf, openSpecCorpus, writeOpenSpecCorpus } from "../helpers/openspec-corpora.js";

scenario("spec.openspec-exact.self-corpus", { targets: ["host"], timeout: 180_000 }, () => {
  const dir = copyOfOpenSpecSelf();
  try {
    const { theirs, ours } = bothVerdicts(dir);
    expect(theirs.length).toBeGreaterThan(50);
    // Same items, same strict verdict, same issues with the same levels and wording.
    expect(ours).toEqual(theirs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

scenario("spec.openspec-exact.generated-corpora", { targets: ["host"], timeout: 600_000 }, () => {
  let items = 0;
  let invalid = 0;
  const seen = new Set<string>();
  fc.assert(
    fc.property(openSpecCorpus, (corpus) => {
      const dir = writeOpenSpecCorpus(corpus);
      try {
        const { theirs, ours } = bothVerdicts(dir);
        items += theirs.length;
        invalid += theirs.filter((v) => !v.valid).length;
        for (const v of theirs) for (const i of v.issues) seen.add(i.split(" ")[0]!);
        expect(ours).toEqual(theirs);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: Number(process.env.ATOMICNIX_OPENSPEC_RUNS ?? 30) },
  );
  console.log(`openspec agreement: ${items} items in generated corpora (${invalid} invalid), levels seen: ${[...seen].sort().join(", ")}`);
  // The generator must reach both verdicts and every level, or agreement proves little.
  expect(invalid).toBeGreaterThan(0);
  expect(items - invalid).toBeGreaterThan(0);
  expect([...seen].sort()).toEqual(["ERROR", "INFO", "WARNING"]);
});
