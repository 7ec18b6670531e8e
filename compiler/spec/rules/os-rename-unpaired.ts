import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-rename-unpaired",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "every RENAMED FROM: has its TO: and the reverse",
  check: { elsewhere: "compiler/openspec/validate-change.ts" },
};
