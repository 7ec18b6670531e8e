import type { Position } from "../markdown.js";
import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "delta-conflict",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  core: true,
  doc: "a requirement appears in one delta section only (RENAMED + MODIFIED of the new name allowed)",
  check: {
    delta(doc, report) {
      const touched = new Map<string, string>();
      const touch = (name: string, op: string, at: Position) => {
        const key = name.toLowerCase();
        const prev = touched.get(key);
        if (prev && !(prev === "RENAMED" && op === "MODIFIED")) report(at, `"${name}" appears in both ${prev} and ${op}`);
        touched.set(key, op);
      };
      for (const section of doc.deltas) {
        if (section.operation === "RENAMED") for (const r of section.renames) touch(r.from, "RENAMED", r.at);
        else for (const req of section.requirements) touch(req.name, section.operation, req.at);
      }
    },
  },
};
