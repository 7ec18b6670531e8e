import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-tasks-numbering",
  set: "openspec",
  severity: "warning",
  openspecLevel: "WARNING",
  doc: "task numbers match their `## N.` group and are unique",
  check: { elsewhere: "compiler/openspec/tasks.ts" },
};
