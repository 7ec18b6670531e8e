import { LEVELS } from "../../../lib/levels.js";
import { metadataValue } from "../model.js";
import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "level-invalid",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  doc: "the level is static, unit, artifact, device or hardware",
  check: {
    scenario(sc, report) {
      const level = sc.rawText ? metadataValue(sc.metadata, "Level") : undefined;
      if (level && !(LEVELS as readonly string[]).includes(level.value)) report(level.at, `level "${level.value}" is not one of ${LEVELS.join(", ")}`);
    },
  },
};
