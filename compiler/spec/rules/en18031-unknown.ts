import type { MetadataEntry } from "../metadata.js";
import { metadataValue } from "../model.js";
import type { Report, Rule } from "./types.js";

const silent: Report = () => {};

/**
 * The known, distinct EN 18031-1 IDs an `**EN18031**:` line lists (none for `none`);
 * with `report` (this rule) also reports each unknown or repeated one.
 */
export function en18031Ids(entry: MetadataEntry, known: ReadonlySet<string>, report: Report = silent): string[] {
  const ids: string[] = [];
  if (entry.value.toLowerCase() === "none") return ids;
  for (const raw of entry.value.split(",")) {
    const id = raw.replace(/`/g, "").trim();
    if (!known.has(id)) report(entry.at, `"${id}" is not an EN 18031-1 requirement ID (see specs/en18031-part1.json)`);
    else if (ids.includes(id)) report(entry.at, `"${id}" is listed twice`);
    else ids.push(id);
  }
  return ids;
}

export const rule: Rule = {
  id: "en18031-unknown",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  doc: "EN18031 IDs are EN 18031-1 requirement IDs, listed once",
  check: {
    requirement(req, report, ctx) {
      const en = metadataValue(req.metadata, "EN18031");
      if (en) en18031Ids(en, ctx.en18031, report);
    },
  },
};
