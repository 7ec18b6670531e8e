#!/usr/bin/env node
// Runs the TypeScript CLI from a checkout without a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../compiler/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
