import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-structure",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "no delta header in a main spec, no requirement outside `## Requirements`, no duplicate requirement name",
  check: { elsewhere: "compiler/openspec/validate-spec.ts" },
};
