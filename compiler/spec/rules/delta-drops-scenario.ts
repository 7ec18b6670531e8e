import { baselineOf } from "./baseline.js";
import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "delta-drops-scenario",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  core: true,
  doc: "a MODIFIED requirement keeps every scenario of the baseline",
  check: {
    delta(doc, report, ctx) {
      for (const section of doc.deltas) {
        if (section.operation !== "MODIFIED") continue;
        for (const req of section.requirements) {
          const existing = baselineOf(req, doc, ctx);
          if (!existing) continue;
          const kept = new Set(ctx.checked.get(req)!.scenarios.flatMap((s) => [s.name.toLowerCase(), ...(s.id ? [s.id] : [])]));
          for (const s of existing.scenarios) {
            if (!kept.has(s.name.toLowerCase()) && !(s.id && kept.has(s.id))) {
              report(req.at, `MODIFIED "${req.name}" drops scenario "${s.name}"${s.id ? ` (${s.id})` : ""}; keep it or remove the requirement explicitly`);
            }
          }
        }
      }
    },
    elsewhere: "compiler/archive/apply-deltas.ts (spec archive, on apply)",
  },
};
