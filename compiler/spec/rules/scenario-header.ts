import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "scenario-header",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  openspecNote: "no: any `####` counts as a scenario",
  doc: "a `####` under a requirement reads `#### Scenario: <name>`",
  check: {
    scenario(sc, report) {
      if (!sc.prefixed) report(sc.at, `"#### ${sc.name}" must read "#### Scenario: <name>"`);
    },
  },
};
