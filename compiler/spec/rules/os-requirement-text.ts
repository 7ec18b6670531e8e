import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-requirement-text",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "a `### Requirement:` block has body text",
  check: { elsewhere: "compiler/openspec/validate-spec.ts and compiler/openspec/validate-change.ts" },
};
