import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "delta-drops-scenario",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  core: true,
  doc: "a MODIFIED requirement keeps every scenario of the baseline",
  check: { elsewhere: "compiler/corpus/check.ts (the change pass)" },
};
