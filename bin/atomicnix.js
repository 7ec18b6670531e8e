#!/usr/bin/env node
// Runs the prebuilt CLI bundle (bin/cli-bundle.js builds it on first use and again
// whenever a source file changed), so start-up is Node's own: no TypeScript is
// transpiled at run time. ATOMICNIX_CLI_SOURCE=1 runs the sources through tsx
// instead (for debugging the CLI itself).
if (process.env.ATOMICNIX_CLI_SOURCE === "1") {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../cli/main.ts");
  process.exitCode = await main(process.argv.slice(2));
} else {
  const { ensureBundle, bundleUrl } = await import("./cli-bundle.js");
  let entry;
  try {
    entry = await ensureBundle();
  } catch (e) {
    process.stderr.write(`atomicnix: cannot build the CLI bundle: ${e instanceof Error ? e.message : e}\n`);
    process.exit(2);
  }
  if (process.env.ATOMICNIX_CLI_TRACE) process.stderr.write(`atomicnix: bundle ${entry}\n`);
  const { main } = await import(bundleUrl(entry));
  process.exitCode = await main(process.argv.slice(2));
}
