import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-no-requirements",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "the Requirements section has at least one requirement",
  check: { elsewhere: "compiler/openspec/validate-spec.ts" },
};
