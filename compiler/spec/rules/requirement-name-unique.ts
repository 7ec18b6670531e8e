import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "requirement-name-unique",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  openspecNote: "ERROR for exact duplicates only",
  core: true,
  doc: "requirement names unique within a spec, ignoring case",
  check: {
    spec(doc, report) {
      const names = new Map<string, number>();
      for (const req of doc.requirements) {
        const key = req.name.toLowerCase();
        const prev = names.get(key);
        if (prev !== undefined) report(req.at, `duplicate requirement "${req.name}" (first at line ${prev})`);
        else names.set(key, req.at.line);
      }
    },
  },
};
