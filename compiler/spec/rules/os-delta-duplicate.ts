import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-delta-duplicate",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "a name twice in one delta section",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
