import { readSteps } from "../steps.js";
import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "scenario-steps",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  doc: "steps are a bullet list of **GIVEN**/**WHEN**/**THEN**/**AND**/**BUT** items in order, at least one WHEN and one THEN; a misspelled keyword gets a did-you-mean hint",
  check: {
    scenario(sc, report) {
      if (sc.rawText) readSteps(sc, report);
    },
  },
};
