import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "delta-structure",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  core: true,
  doc: "a delta spec has ADDED/MODIFIED/REMOVED/RENAMED sections that list requirements or FROM/TO pairs",
  check: { elsewhere: "compiler/corpus/check.ts (the change pass)" },
};
