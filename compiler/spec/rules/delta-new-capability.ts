import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "delta-new-capability",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "INFO",
  openspecNote: "INFO; archive refuses",
  core: true,
  doc: "a delta for a capability that does not exist yet has only ADDED sections",
  check: {
    delta(doc, report, ctx) {
      if (ctx.target) return;
      for (const section of doc.deltas) {
        if (section.operation !== "ADDED") report(section.at, `capability "${ctx.capability}" does not exist yet: a new capability accepts only ADDED requirements`);
      }
    },
    elsewhere: "compiler/archive/apply-deltas.ts (spec archive, on apply)",
  },
};
