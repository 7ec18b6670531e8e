import { build } from "esbuild";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** One self-contained ESM file for `entry`, runnable by plain `node` on Node 20+. */
export async function bundleEsm(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    // Bundled CommonJS dependencies (ajv) still call require().
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
    legalComments: "none",
    logLevel: "error",
  });
}

/**
 * Bundles every device entry point (`device/<area>/main.ts`) into one ESM file
 * under `dist/device/`, so the gateway runs them with plain `node` (Debian trixie
 * ships 20, nixos-25.11 ships 22) and no node_modules. A DEVELOPMENT=1 build
 * (`development`) takes `device/<area>/main.development.ts` where an area has one:
 * the development-only steps live there, absent from production bundles.
 */
export async function buildDevice(outDir = join(import.meta.dirname, "..", "dist", "device"), opts: { development?: boolean } = {}): Promise<string[]> {
  const areas = readdirSync(import.meta.dirname, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(import.meta.dirname, e.name, "main.ts")))
    .map((e) => e.name)
    .sort();
  const outputs: string[] = [];
  for (const area of areas) {
    const outfile = join(outDir, `${area}.mjs`);
    const dev = join(import.meta.dirname, area, "main.development.ts");
    await bundleEsm(opts.development && existsSync(dev) ? dev : join(import.meta.dirname, area, "main.ts"), outfile);
    outputs.push(outfile);
  }
  return outputs;
}

// `tsx device/build.ts [--development] [OUTDIR]`
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const development = args.includes("--development");
  const outDir = args.find((a) => !a.startsWith("--"));
  for (const f of await buildDevice(outDir, { development })) console.log(f);
}
