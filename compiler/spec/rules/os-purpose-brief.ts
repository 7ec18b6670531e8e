import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-purpose-brief",
  set: "openspec",
  severity: "warning",
  openspecLevel: "WARNING",
  doc: "Purpose is at least 50 characters",
  check: { elsewhere: "compiler/openspec/validate-spec.ts" },
};
