import { build } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Bundles the CLI into one ESM file, the way it would ship, so cold-process timings
 * measure our code rather than on-the-fly TypeScript transpilation.
 */
export async function buildCliBundle(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(import.meta.dirname, "..", "compiler", "cli", "main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: join(outDir, "main.mjs"),
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
    logLevel: "error",
  });
  const entry = join(outDir, "atomicnix.mjs");
  writeFileSync(entry, 'const { main } = await import("./main.mjs");\nprocess.exitCode = await main(process.argv.slice(2));\n');
  return entry;
}
