import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-file",
  set: "openspec",
  severity: "error",
  openspecLevel: "ERROR",
  doc: "the file or folder could be read",
  check: { elsewhere: "compiler/openspec/validate-root.ts" },
};
