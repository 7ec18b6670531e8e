import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-change-no-deltas",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "a change has at least one delta",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
