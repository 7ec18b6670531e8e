import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "en18031-data",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  openspecNote: "no",
  doc: "the EN 18031 ID file can be read",
  check: { elsewhere: "compiler/corpus/check.ts (loading the EN 18031 ID file)" },
};
