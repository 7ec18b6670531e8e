import type { MetadataEntry } from "../metadata.js";
import { metadataValue } from "../model.js";
import { REQUIREMENT_KEYS, SCENARIO_KEYS, STATUSES } from "./limits.js";
import type { Report, Rule } from "./types.js";

function checkKeys(entries: readonly MetadataEntry[], allowed: ReadonlySet<string>, where: string, report: Report): void {
  const seen = new Set<string>();
  for (const e of entries) {
    const key = e.key.toLowerCase();
    if (!allowed.has(key)) report(e.at, `unknown ${where} metadata "${e.key}"; allowed: ${[...allowed].join(", ")}`);
    else if (seen.has(key)) report(e.at, `"${e.key}" is given twice`);
    seen.add(key);
  }
}

export const rule: Rule = {
  id: "metadata-unknown",
  set: "atomicnix",
  severity: "error",
  openspecLevel: null,
  doc: "only known metadata keys, each once, with valid values",
  check: {
    requirement(req, report) {
      checkKeys(req.metadata, REQUIREMENT_KEYS, "requirement", report);
      const status = metadataValue(req.metadata, "Status");
      if (status && !(STATUSES as readonly string[]).includes(status.value)) report(status.at, `Status must be one of ${STATUSES.join(", ")}`);
    },
    scenario(sc, report) {
      if (!sc.rawText) return;
      checkKeys(sc.metadata, SCENARIO_KEYS, "scenario", report);
      const step = metadataValue(sc.metadata, "Plan-Step");
      if (step && !/^\d+\.\d+$/.test(step.value)) report(step.at, `Plan-Step "${step.value}" must look like 3.2`);
    },
  },
};
