import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-purpose-missing",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "the spec has a non-empty Purpose section (OpenSpec stops reading the file here)",
  check: { elsewhere: "compiler/openspec/validate-spec.ts" },
};
