import { existsSync, readFileSync } from "node:fs";
import { parse, TomlDate, TomlError } from "smol-toml";
import { fieldPath } from "../../compiler/schema/json-path.js";
import validateWaivers from "../../generated/validators/conformance-waivers.js";
import type { CatalogueScenario } from "../../compiler/corpus/check.js";

export interface Waiver {
  scenario: string;
  kind: "deferred" | "hardware-only";
  justification: string;
  expires: string;
  plan_step?: string;
  owner?: string;
}

export interface WaiverProblem {
  where: string;
  message: string;
}

export interface WaiverSet {
  file: string;
  waivers: Waiver[];
  problems: WaiverProblem[];
  expired: Waiver[];
}

function normaliseDates(value: unknown): unknown {
  if (value instanceof TomlDate) return value.toISOString().slice(0, 10);
  if (Array.isArray(value)) return value.map(normaliseDates);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normaliseDates(v)]));
  return value;
}

export function loadWaivers(file: string, scenarios: ReadonlyMap<string, CatalogueScenario>, today: string): WaiverSet {
  const set: WaiverSet = { file, waivers: [], problems: [], expired: [] };
  if (!existsSync(file)) return set;
  let data: unknown;
  try {
    data = normaliseDates(parse(readFileSync(file, "utf8")));
  } catch (e) {
    if (e instanceof TomlError) set.problems.push({ where: `${file}:${e.line}:${e.column}`, message: e.message.split("\n")[0] ?? "TOML syntax error" });
    else set.problems.push({ where: file, message: (e as Error).message });
    return set;
  }
  if (!validateWaivers(data)) {
    for (const err of validateWaivers.errors ?? []) {
      const path = fieldPath(err.instancePath);
      const detail = err.keyword === "additionalProperties" ? `unknown field "${(err.params as { additionalProperty: string }).additionalProperty}"` : err.message;
      set.problems.push({ where: `${file}: ${path}`, message: detail ?? "invalid" });
    }
    return set;
  }
  const seen = new Set<string>();
  ((data as { waiver?: Waiver[] }).waiver ?? []).forEach((w, i) => {
    const where = `${file}: waiver[${i}]`;
    const sc = scenarios.get(w.scenario);
    if (!sc) return void set.problems.push({ where, message: `scenario "${w.scenario}" is not in the catalogue` });
    if (seen.has(w.scenario)) return void set.problems.push({ where, message: `scenario "${w.scenario}" is waived twice` });
    seen.add(w.scenario);
    if (w.kind === "hardware-only") {
      if (sc.level !== "hardware") return void set.problems.push({ where, message: `"${w.scenario}" has level ${sc.level}: only hardware-level scenarios may be waived as hardware only` });
      if (!w.plan_step) return void set.problems.push({ where, message: `hardware-only waiver needs plan_step (the scenario maps to step ${sc.planStep ?? "none: add **Plan-Step** to the scenario"})` });
      if (w.plan_step !== sc.planStep) return void set.problems.push({ where, message: `plan_step "${w.plan_step}" does not match the scenario's Plan-Step "${sc.planStep ?? "(none)"}"` });
    }
    if (w.expires < today) set.expired.push(w);
    else set.waivers.push(w);
  });
  return set;
}
