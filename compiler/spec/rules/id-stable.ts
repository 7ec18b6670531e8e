import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "id-stable",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  openspecNote: "no",
  doc: "a MODIFIED delta keeps the requirement's ID",
  check: { elsewhere: "compiler/corpus/check.ts (the change pass)" },
};
