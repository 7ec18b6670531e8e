import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-delta-none",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "a delta spec without delta sections",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
