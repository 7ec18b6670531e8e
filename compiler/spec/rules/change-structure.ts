import { h2Sections } from "../extract.js";
import type { Rule } from "./types.js";

const MIN_WHY = 50;
const MAX_WHY = 1000;

export const rule: Rule = {
  id: "change-structure",
  set: "atomicnix",
  severity: "error",
  openspecLevel: "ERROR",
  openspecNote: "`validate --all` does not read proposal.md; ERROR only when the change has no deltas",
  core: true,
  doc: "a change has proposal.md with `## Why` (50..1000 characters) and `## What Changes`, and delta specs",
  check: {
    change(change, report) {
      const top = { line: 1, column: 1 };
      if (!change.proposal) report(top, `change "${change.name}" has no proposal.md`);
      else {
        const sections = h2Sections(change.proposal.source);
        const section = (name: string) => sections.find((b) => b.name.toLowerCase() === name);
        const why = section("why");
        if (!why) report(top, 'proposal.md needs a "## Why" section');
        else {
          const length = why.text.length;
          if (length < MIN_WHY) report(why.at, `Why is ${length} characters; OpenSpec wants at least ${MIN_WHY}`);
          if (length > MAX_WHY) report(why.at, `Why is ${length} characters; OpenSpec (strict) wants at most ${MAX_WHY}`);
        }
        const what = section("what changes");
        if (!what) report(top, 'proposal.md needs a "## What Changes" section');
        else if (!what.text) report(what.at, "What Changes is empty");
      }
      if (change.deltas.length === 0) report(top, `change "${change.name}" has no delta specs under specs/<capability>/spec.md`);
    },
  },
};
