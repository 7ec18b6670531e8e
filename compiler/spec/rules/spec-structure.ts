import { MIN_PURPOSE_LENGTH } from "./limits.js";
import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "spec-structure",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  openspecNote: "ERROR (missing section, no requirement, delta header); WARNING (Purpose too brief or placeholder)",
  core: true,
  doc: "`## Purpose` (>= 50 characters, not a TBD/TODO placeholder) and `## Requirements` with at least one requirement; no delta sections in a main spec",
  check: {
    spec(doc, report) {
      const top = { line: 1, column: 1 };
      if (!doc.purpose) report(top, 'missing "## Purpose" section');
      else if (doc.purpose.text.length < MIN_PURPOSE_LENGTH) {
        report(doc.purpose.at, `Purpose is ${doc.purpose.text.length} characters; OpenSpec (strict) wants at least ${MIN_PURPOSE_LENGTH}`);
      } else if (/^TBD\b|\bTODO\b/.test(doc.purpose.text)) {
        report(doc.purpose.at, "Purpose is still a placeholder");
      }
      if (!doc.requirementsSection) report(top, 'missing "## Requirements" section');
      else if (doc.requirements.length === 0) report(doc.requirementsSection.at, "spec has no requirements");
      if (doc.deltas.length > 0) report(doc.deltas[0]!.at, "delta sections (ADDED/MODIFIED/...) belong in a change, not in a main spec");
    },
    elsewhere: "compiler/archive/apply-deltas.ts (spec archive: a baseline without Requirements)",
  },
};
