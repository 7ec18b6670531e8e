import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "delta-conflict",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  core: true,
  doc: "a requirement appears in one delta section only (RENAMED + MODIFIED of the new name allowed)",
  check: { elsewhere: "compiler/corpus/check.ts (the change pass)" },
};
