import type { Rule } from "./types.js";

export const rule: Rule = {
  id: "id-prefix",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  doc: "a scenario ID is its requirement's ID plus one word; a capability's requirement IDs share a prefix",
  check: {
    scenario(sc, report, { requirement, scenario }) {
      const id = scenario.id;
      const parent = requirement.id;
      if (sc.rawText && id && parent && (!id.startsWith(parent + ".") || id.split(".").length !== parent.split(".").length + 1)) {
        report(sc.at, `scenario ID "${id}" must be its requirement's ID "${parent}" plus one more word`);
      }
    },
    elsewhere: "compiler/corpus/check.ts (the corpus-wide ID pass: the capability's shared prefix)",
  },
};
