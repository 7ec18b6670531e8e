import { MAX_REQUIREMENT_TEXT_LENGTH } from "./limits.js";
import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "requirement-length",
  set: "atomicnix",
  severity: "warning",
  openspecLevel: "INFO",
  openspecNote: "INFO: advice that never fails a check",
  core: true,
  doc: "the requirement body is at most 500 characters (a warning)",
  check: {
    requirement(req, report) {
      if (req.text.length > MAX_REQUIREMENT_TEXT_LENGTH) {
        report(req.textAt, `requirement text is ${req.text.length} characters; keep it under ${MAX_REQUIREMENT_TEXT_LENGTH} (OpenSpec flags longer text) and move detail into scenarios`);
      }
    },
  },
};
