import type { MetadataEntry } from "../metadata.js";
import { metadataValue } from "../model.js";
import { ID_PATTERN } from "./limits.js";
import type { Report, Rule } from "./types.js";

function checkId(entries: readonly MetadataEntry[], report: Report): void {
  const entry = metadataValue(entries, "ID");
  if (entry && !ID_PATTERN.test(entry.value)) {
    report(entry.at, `ID "${entry.value}" must be lower-case words ([a-z0-9] and inner "-") joined by ".", at least two words`);
  }
}

export const rule: Rule = {
  id: "id-format",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  doc: "IDs are lower-case dotted words, at least two",
  check: {
    requirement: (req, report) => checkId(req.metadata, report),
    scenario(sc, report) {
      if (sc.rawText) checkId(sc.metadata, report);
    },
    elsewhere: "compiler/schema/table-schema.ts (schema and table IDs)",
  },
};
