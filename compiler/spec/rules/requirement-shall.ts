import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "requirement-shall",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  openspecNote: "ERROR when the body is empty; WARNING when SHALL/MUST is missing",
  core: true,
  doc: "the requirement body (metadata lines excluded) has text containing SHALL or MUST",
  check: {
    requirement(req, report) {
      if (!req.text) report(req.at, `requirement "${req.name}" has no text`);
      else if (!/\b(SHALL|MUST)\b/.test(req.text)) report(req.textAt, `requirement "${req.name}" must contain SHALL or MUST`);
    },
  },
};
