import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "scenario-empty",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  openspecNote: "no finding: the empty scenario is not counted (then ERROR if the requirement has none)",
  core: true,
  doc: "a scenario header has a body",
  check: {
    scenario(sc, report) {
      if (!sc.rawText) report(sc.at, `scenario "${sc.name}" is empty`);
    },
  },
};
