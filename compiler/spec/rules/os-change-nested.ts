import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-change-nested",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "a folder under changes/ wrapping change folders",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
