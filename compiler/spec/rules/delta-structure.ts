import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "delta-structure",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  core: true,
  doc: "a delta spec has ADDED/MODIFIED/REMOVED/RENAMED sections that list requirements or FROM/TO pairs",
  check: {
    delta(doc, report) {
      if (doc.deltas.length === 0) report({ line: 1, column: 1 }, "delta spec has no ## ADDED|MODIFIED|REMOVED|RENAMED Requirements section");
      for (const section of doc.deltas) {
        if (section.operation === "RENAMED") {
          if (section.renames.length === 0) report(section.at, "RENAMED section has no FROM/TO pair");
        } else if (section.requirements.length === 0) report(section.at, `${section.operation} section lists no requirement`);
      }
    },
  },
};
