// `npm run bench`: prints figures, asserts nothing.
import { specCompilerBench } from "./spec-compiler.js";

await specCompilerBench();
