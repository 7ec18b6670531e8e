import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-scenario-loss",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "a MODIFIED block keeps every scenario of the main spec",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
