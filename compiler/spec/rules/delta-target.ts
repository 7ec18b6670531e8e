import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "delta-target",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "INFO",
  openspecNote: "INFO (\"Archive would refuse this delta\"); archive refuses",
  core: true,
  doc: "MODIFIED/REMOVED/RENAMED name an existing requirement; ADDED does not reuse a name or an ID of the baseline (reported at the delta's line)",
  check: { elsewhere: "compiler/corpus/check.ts (the change pass)" },
};
