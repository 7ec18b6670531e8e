import type { Rule } from "./types.js";

const MAX_DELTAS = 10;

export const rule: Rule = {
  id: "change-size",
  set: "atomicnix",
  severity: "warning",
  openspecLevel: null,
  openspecNote: "no (only `openspec validate CHANGE` on the proposal, as a warning)",
  core: true,
  doc: "at most 10 deltas in one change (a warning)",
  check: {
    change(change, report) {
      // A delta is one requirement block or one FROM/TO pair.
      let count = 0;
      for (const doc of change.deltas) for (const s of doc.deltas) count += s.operation === "RENAMED" ? s.renames.length : s.requirements.length;
      if (count > MAX_DELTAS) report({ line: 1, column: 1 }, `change has ${count} deltas; OpenSpec (strict) asks to split changes above ${MAX_DELTAS}`);
    },
  },
};
