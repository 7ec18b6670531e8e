import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-requirement-length",
  set: "openspec",
  severity: "info",
  openspecLevel: "INFO",
  doc: "requirement text over 500 characters",
  check: { elsewhere: "compiler/openspec/validate-spec.ts" },
};
