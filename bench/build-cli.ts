import { bundleEsm } from "../device/build.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Bundles the CLI into one ESM file, the way it would ship, so cold-process timings
 * measure our code rather than on-the-fly TypeScript transpilation.
 */
export async function buildCliBundle(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await bundleEsm(join(import.meta.dirname, "..", "compiler", "cli", "main.ts"), join(outDir, "main.mjs"));
  const entry = join(outDir, "atomicnix.mjs");
  writeFileSync(entry, 'const { main } = await import("./main.mjs");\nprocess.exitCode = await main(process.argv.slice(2));\n');
  return entry;
}
