import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "delta-new-capability",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "INFO",
  openspecNote: "INFO; archive refuses",
  core: true,
  doc: "a delta for a capability that does not exist yet has only ADDED sections",
  check: { elsewhere: "compiler/corpus/check.ts (the change pass)" },
};
