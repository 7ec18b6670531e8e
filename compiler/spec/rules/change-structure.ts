import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "change-structure",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  openspecNote: "`validate --all` does not read proposal.md; ERROR only when the change has no deltas",
  core: true,
  doc: "a change has proposal.md with `## Why` (50..1000 characters) and `## What Changes`, and delta specs",
  check: { elsewhere: "compiler/corpus/check.ts (the change pass)" },
};
