import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "id-unique",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  openspecNote: "no",
  doc: "IDs are unique across the corpus; the newer occurrence is blamed",
  check: { elsewhere: "compiler/corpus/check.ts (the corpus-wide ID pass)" },
};
