import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-delta-empty",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "delta sections that list no requirement",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
