import type { PartCommands } from "../lib/args.js";

/** The spec compiler's commands, read by cli/main.ts. */
export const commands: PartCommands = {
  groups: {
    spec: {
      check: { summary: "check a spec tree or OpenSpec root: spec check [PATH] [--json] [--rules atomicnix|openspec] [--watch] [--explain RULE|all]", load: async () => (await import("./cli/spec-check.js")).specCheck },
      compile: { summary: "write generated/ from specs/ and the rules table of docs/spec-format.md: spec compile [--check] [--specs DIR] [--out DIR] [--docs FILE] [--json]", load: async () => (await import("./cli/spec-compile.js")).specCompile },
      archive: { summary: "apply a change's deltas to the baseline: spec archive CHANGE [--specs DIR] [--dry-run] [--json]", load: async () => (await import("./cli/spec-archive.js")).specArchive },
    },
  },
  singles: {
    lsp: { summary: "Language Server on stdio for specs/**/*.md and test files: atomicnix lsp", load: async () => (await import("./lsp/server.js")).lspCommand },
  },
};
