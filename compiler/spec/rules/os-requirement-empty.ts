import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-requirement-empty",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "a requirement has text (its header counts when the body is empty)",
  check: { elsewhere: "compiler/openspec/validate-spec.ts" },
};
