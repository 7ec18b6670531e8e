import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-delta-orphan",
  set: "openspec",
  severity: "warning",
  openspecLevel: "WARNING",
  doc: "a requirement outside every delta section",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
