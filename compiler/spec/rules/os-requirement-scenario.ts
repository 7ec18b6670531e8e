import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-requirement-scenario",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  openspecNote: "ERROR (and a WARNING on main specs)",
  doc: "a requirement has a `####` header with a body",
  check: { elsewhere: "compiler/openspec/validate-spec.ts and compiler/openspec/validate-change.ts" },
};
