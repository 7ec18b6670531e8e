import { fileURLToPath } from "node:url";
import { runTool, type ToolRun } from "./exec.js";

/** The shared build scripts live in nix/scripts/ (called alike by Nix derivations and the twin build). */
export function scriptPath(name: string): string {
  return fileURLToPath(new URL(`../../../nix/scripts/${name}`, import.meta.url));
}

/** Path of the development certificate generator, certs/gen-dev-certs.sh. */
export function certGeneratorPath(): string {
  return fileURLToPath(new URL("../../../certs/gen-dev-certs.sh", import.meta.url));
}

/** Runs one build script with bash; the caller asserts on status and stderr. */
export function runBuildScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ToolRun {
  return runTool("bash", [script, ...args], { env });
}
