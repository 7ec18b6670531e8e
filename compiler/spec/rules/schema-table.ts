import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "schema-table",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  openspecNote: "no",
  doc: "schema and data tables are well-formed and compile to JSON Schema",
  check: { elsewhere: "compiler/schema/table-schema.ts (the schema and data table compiler)" },
};
