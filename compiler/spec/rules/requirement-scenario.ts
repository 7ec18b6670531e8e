import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "requirement-scenario",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  openspecNote: "ERROR and WARNING (both reported)",
  core: true,
  doc: "at least one `#### Scenario:` with a body under every requirement",
  check: {
    requirement(req, report) {
      if (req.scenarios.length === 0) report(req.at, `requirement "${req.name}" has no scenario (#### Scenario: ...)`);
    },
  },
};
