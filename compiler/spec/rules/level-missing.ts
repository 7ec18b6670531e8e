import { LEVELS } from "../../../lib/levels.js";
import { metadataValue } from "../model.js";
import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "level-missing",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  doc: "every scenario has a `**Level**:` line",
  check: {
    scenario(sc, report) {
      if (sc.rawText && !metadataValue(sc.metadata, "Level")) report(sc.at, `scenario "${sc.name}" has no **Level**: line (${LEVELS.join(", ")})`);
    },
  },
};
