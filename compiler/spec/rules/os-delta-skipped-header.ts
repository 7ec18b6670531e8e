import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-delta-skipped-header",
  set: "openspec",
  severity: "info",
  openspecLevel: "INFO",
  doc: "a `###` in ADDED/MODIFIED that is not `### Requirement:`",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
