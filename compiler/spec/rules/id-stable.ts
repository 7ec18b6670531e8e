import { baselineOf } from "./baseline.js";
import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "id-stable",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  doc: "a MODIFIED delta keeps the requirement's ID",
  check: {
    delta(doc, report, ctx) {
      for (const section of doc.deltas) {
        if (section.operation !== "MODIFIED") continue;
        for (const req of section.requirements) {
          const existing = baselineOf(req, doc, ctx);
          const checked = ctx.checked.get(req)!;
          if (existing && checked.id && existing.id && checked.id !== existing.id) {
            report(req.at, `MODIFIED keeps the requirement's ID: expected "${existing.id}", found "${checked.id}"`);
          }
        }
      }
    },
    elsewhere: "compiler/archive/apply-deltas.ts (spec archive, on apply)",
  },
};
