import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-delta-conflict",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "a name in two conflicting delta sections",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
