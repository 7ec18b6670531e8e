// `npm run bench`: prints figures, asserts nothing.
import { specCompilerBench } from "./spec-compiler.js";
import { updateBench } from "./update.js";
import { provisioningFuzzBench } from "./provisioning-fuzz.js";

await specCompilerBench();
await updateBench();
await provisioningFuzzBench();
