import type { Position } from "../markdown.js";
import { baselineOf } from "./baseline.js";
import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "delta-target",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "INFO",
  openspecNote: "INFO (\"Archive would refuse this delta\"); archive refuses",
  core: true,
  doc: "MODIFIED/REMOVED/RENAMED name an existing requirement; ADDED does not reuse a name or an ID of the baseline (reported at the delta's line)",
  check: {
    delta(doc, report, ctx) {
      const { target, capability, baseByName } = ctx;
      for (const section of doc.deltas) {
        if (section.operation === "RENAMED") {
          for (const r of section.renames) {
            if (target && !baseByName.has(r.from.toLowerCase())) report(r.at, `RENAMED: "${r.from}" is not a requirement of ${capability}`);
            if (target && baseByName.has(r.to.toLowerCase())) report(r.at, `RENAMED: "${r.to}" already exists in ${capability}`);
          }
          continue;
        }
        for (const req of section.requirements) {
          const existing = baselineOf(req, doc, ctx);
          if (section.operation === "REMOVED") {
            if (target && !existing) report(req.at, `REMOVED: "${req.name}" is not a requirement of ${capability}`);
          } else if (section.operation === "MODIFIED") {
            if (target && !existing) report(req.at, `MODIFIED: "${req.name}" is not a requirement of ${capability}`);
          } else if (existing) report(req.at, `ADDED: "${req.name}" already exists in ${capability}; use MODIFIED`);
          else {
            // Caught here, at the delta's own line, rather than by archive in the merged file.
            const reused = (id: string | undefined, at: Position) => {
              const where = id ? ctx.baselineId(id) : undefined;
              if (where) report(at, `ADDED reuses ID "${id}", already used at ${where}; new requirements and scenarios need new IDs`);
            };
            const checked = ctx.checked.get(req)!;
            reused(checked.id, req.at);
            checked.scenarios.forEach((sc, j) => reused(sc.id, req.scenarios[j]!.at));
          }
        }
      }
    },
    elsewhere: "compiler/archive/apply-deltas.ts (spec archive, on apply)",
  },
};
