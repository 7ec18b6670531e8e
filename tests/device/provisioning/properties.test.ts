import { rmSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { fuzzStep } from "./fuzz-check.js";
import { generate, prng, sizeAttacks } from "./fuzz-inputs.js";
import { makeKeys, scratch } from "./helpers.js";

let dir: string;
let keys: string[];

beforeAll(() => {
  dir = scratch("prov-props-");
  const k = makeKeys(dir);
  keys = [k.ed25519, k.ecdsa256, k.rsa2048];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

scenario("prov.error-report.robust", { targets: ["host"], timeout: 120_000 }, async () => {
  const root = join(dir, "state", "config");
  const last: { config?: Uint8Array } = {};
  const seen = { accepted: 0, rejected: 0, bundles: 0 };
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
      const input = await generate(prng(seed), keys);
      if (input.kind === "bundle") seen.bundles++;
      const r = await fuzzStep(input, root, last);
      if (r.accepted) seen.accepted++;
      else seen.rejected++;
      expect(r.problem, `seed ${seed} (${input.kind})`).toBeUndefined();
    }),
    { numRuns: 400 },
  );
  // The size attacks always run: none may throw, and the ones past a limit are refused.
  for (const [i, text] of sizeAttacks(keys).entries()) {
    const r = await fuzzStep({ kind: "valid-shaped", bytes: Buffer.from(text), filename: "config.toml" }, root, last);
    expect(r.problem, `size attack ${i}`).toBeUndefined();
    if (r.accepted) seen.accepted++;
    else seen.rejected++;
  }
  // The generators reach both outcomes and bundles, or the property says little.
  expect(seen.accepted).toBeGreaterThan(10);
  expect(seen.rejected).toBeGreaterThan(10);
  expect(seen.bundles).toBeGreaterThan(10);
});
