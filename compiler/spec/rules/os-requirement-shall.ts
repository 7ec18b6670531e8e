import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-requirement-shall",
  set: "openspec",
  severity: "warning",
  openspecLevel: "WARNING",
  doc: "the body contains SHALL or MUST",
  check: { elsewhere: "compiler/openspec/validate-spec.ts and compiler/openspec/validate-change.ts" },
};
