import { metadataValue } from "../model.js";
import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "id-missing",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  doc: "every requirement and scenario has an `**ID**:` line",
  check: {
    requirement(req, report) {
      if (!metadataValue(req.metadata, "ID")) report(req.at, `requirement "${req.name}" has no **ID**: line`);
    },
    scenario(sc, report) {
      if (sc.rawText && !metadataValue(sc.metadata, "ID")) report(sc.at, `scenario "${sc.name}" has no **ID**: line`);
    },
    elsewhere: "compiler/schema/table-schema.ts (schema and table IDs)",
  },
};
