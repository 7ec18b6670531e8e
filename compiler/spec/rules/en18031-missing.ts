import { metadataValue } from "../model.js";
import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "en18031-missing",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  doc: "every requirement has an `**EN18031**:` line (IDs or none)",
  check: {
    requirement(req, report, { checked }) {
      const en = metadataValue(req.metadata, "EN18031");
      if (!en) report(req.at, `requirement "${req.name}" has no **EN18031**: line (list Part-1 IDs or write none)`);
      else if (en.value.toLowerCase() !== "none" && checked.en18031.length === 0 && !en.value.trim()) report(en.at, "EN18031 is empty: list Part-1 IDs or write none");
    },
  },
};
