import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "change-size",
  set: "atomicnix",
  severity: "warning",
  openspecLevel: null,
  openspecNote: "no (only `openspec validate CHANGE` on the proposal, as a warning)",
  core: true,
  doc: "at most 10 deltas in one change (a warning)",
  check: { elsewhere: "compiler/corpus/check.ts (the change pass)" },
};
