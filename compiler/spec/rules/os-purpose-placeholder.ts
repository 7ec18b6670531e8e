import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-purpose-placeholder",
  set: "openspec",
  severity: "warning",
  openspecLevel: "WARNING",
  doc: "Purpose is not TBD/TODO or archive's placeholder sentence",
  check: { elsewhere: "compiler/openspec/validate-spec.ts" },
};
