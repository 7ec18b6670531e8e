import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-skip-specs",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  openspecNote: "ERROR (conflict); INFO (accepted)",
  doc: "skip_specs in .openspec.yaml against files under specs/",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
