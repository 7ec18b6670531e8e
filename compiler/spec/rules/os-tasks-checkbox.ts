import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "os-tasks-checkbox",
  set: "openspec",
  severity: "warning",
  openspecLevel: "WARNING",
  doc: "tasks.md lists work as checkboxes",
  check: { elsewhere: "compiler/openspec/tasks.ts" },
};
