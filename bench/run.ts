// `npm run bench`: prints figures, asserts nothing.
import { specCompilerBench } from "./spec-compiler.js";
import { lspLatencyBench } from "./lsp.js";
import { updateBench } from "./update.js";
import { provisioningFuzzBench } from "./provisioning-fuzz.js";
import { twinBuildBench } from "./twin.js";

// `npm run bench -- twin` adds the twin build (minutes: it rebuilds from an empty cache);
// `npm run bench -- spec` runs only the spec compiler figures.
await specCompilerBench();
lspLatencyBench();
if (process.argv.includes("spec")) process.exit(0);
await updateBench();
await provisioningFuzzBench();
if (process.argv.includes("twin")) twinBuildBench();
