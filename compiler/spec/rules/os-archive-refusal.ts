import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-archive-refusal",
  set: "openspec",
  severity: "info",
  openspecLevel: "INFO",
  doc: "what `openspec archive` would refuse (missing target, existing name, new capability with MODIFIED)",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
