import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "requirement-header",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  openspecNote: "no: OpenSpec counts any `###` child of Requirements as a requirement",
  core: true,
  doc: "a `###` under Requirements reads `### Requirement: <name>`",
  check: {
    requirement(req, report) {
      if (!req.prefixed) report(req.at, `"### ${req.name}" under Requirements must read "### Requirement: <name>"`);
      else if (!req.name) report(req.at, "requirement header has no name (### Requirement: <name>)");
    },
  },
};
