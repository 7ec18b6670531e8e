import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-delta-misplaced",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "delta sections in specs/spec.md or in a file other than <capability>/spec.md",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
