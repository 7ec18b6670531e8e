import { existsSync, readFileSync } from "node:fs";
import { parse, TomlDate, TomlError } from "smol-toml";
import { fieldPath } from "../../lib/json-pointer.js";
import validateWaivers from "../../generated/validators/conformance-waivers.js";
import type { CatalogueScenario } from "../../compiler/corpus/check.js";
import { LEVELS } from "../../lib/levels.js";
import type { Problem } from "../../lib/problem.js";
import { PROVING_TARGETS } from "./proof.js";

/** No waiver may hold longer than this: a waiver is a promise to come back soon. */
const MAX_WAIVER_DAYS = 90;
const LAST_BOARD_RUN = /^(never|\d{4}-\d{2}-\d{2} [A-Za-z0-9._:-]+)$/;

export interface Waiver {
  scenario: string;
  kind: "deferred" | "hardware-only";
  justification: string;
  expires: string;
  /** the target kind or level whose proof is waived */
  scope: string;
  plan_step?: string;
  /** hardware-only: "never" or "YYYY-MM-DD RUN-ID" of the last board run of the plan step */
  last_board_run?: string;
  owner?: string;
}

export interface WaiverSet {
  file: string;
  waivers: Waiver[];
  problems: Problem[];
  expired: Waiver[];
}

function normaliseDates(value: unknown): unknown {
  if (value instanceof TomlDate) return value.toISOString().slice(0, 10);
  if (Array.isArray(value)) return value.map(normaliseDates);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normaliseDates(v)]));
  return value;
}

function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The last board run a hardware-only waiver names, or null for "never". */
export function lastBoardRun(w: Waiver): { date: string; runId: string } | null {
  const m = /^(\d{4}-\d{2}-\d{2}) (\S+)$/.exec(w.last_board_run ?? "");
  return m ? { date: m[1]!, runId: m[2]! } : null;
}

export function loadWaivers(file: string, scenarios: ReadonlyMap<string, CatalogueScenario>, today: string): WaiverSet {
  const set: WaiverSet = { file, waivers: [], problems: [], expired: [] };
  if (!existsSync(file)) return set;
  let data: unknown;
  try {
    data = normaliseDates(parse(readFileSync(file, "utf8")));
  } catch (e) {
    if (e instanceof TomlError) set.problems.push({ severity: "error", rule: "waiver-toml", file, line: e.line, column: e.column, message: e.message.split("\n")[0] ?? "TOML syntax error" });
    else set.problems.push({ severity: "error", rule: "waiver-read", file, message: (e as Error).message });
    return set;
  }
  // An unscoped waiver gets its own message: "everything" is not a scope.
  const raw = (data as { waiver?: unknown }).waiver;
  if (Array.isArray(raw)) {
    raw.forEach((w, i) => {
      if (w && typeof w === "object" && !("scope" in w)) set.problems.push({ severity: "error", rule: "waiver-scope-missing", file, path: `waiver[${i}]`, message: `waiver for "${(w as { scenario?: string }).scenario ?? "?"}" has no scope: name the target kind or level whose proof it waives` });
    });
    if (set.problems.length) return set;
  }
  if (!validateWaivers(data)) {
    for (const err of validateWaivers.errors ?? []) {
      const detail = err.keyword === "additionalProperties" ? `unknown field "${(err.params as { additionalProperty: string }).additionalProperty}"` : err.message;
      set.problems.push({ severity: "error", rule: "waiver-schema", file, path: fieldPath(err.instancePath), message: detail ?? "invalid" });
    }
    return set;
  }
  const seen = new Set<string>();
  ((data as { waiver?: Waiver[] }).waiver ?? []).forEach((w, i) => {
    const at = (rule: string, message: string): void => void set.problems.push({ severity: "error", rule, file, path: `waiver[${i}]`, message });
    const sc = scenarios.get(w.scenario);
    if (!sc) return at("waiver-unknown-scenario", `scenario "${w.scenario}" is not in the catalogue`);
    if (seen.has(w.scenario)) return at("waiver-duplicate", `scenario "${w.scenario}" is waived twice`);
    seen.add(w.scenario);
    const proving = PROVING_TARGETS[sc.level] as readonly string[];
    const scopeOk = (LEVELS as readonly string[]).includes(w.scope) ? w.scope === sc.level : proving.includes(w.scope);
    if (!scopeOk) return at("waiver-scope", `scope "${w.scope}" of "${w.scenario}" cannot prove a ${sc.level}-level scenario: use level ${sc.level} or one of ${proving.join(", ")}`);
    const latest = addDays(today, MAX_WAIVER_DAYS);
    if (w.expires > latest) return at("waiver-too-long", `waiver for "${w.scenario}" expires ${w.expires}, more than ${MAX_WAIVER_DAYS} days after ${today} (latest ${latest})`);
    if (w.kind === "hardware-only") {
      if (!w.last_board_run || !LAST_BOARD_RUN.test(w.last_board_run)) return at("waiver-last-board-run", `hardware-only waiver for "${w.scenario}" needs last_board_run: "never" or "YYYY-MM-DD RUN-ID" of the last board run of step ${sc.planStep ?? "?"}`);
      if (sc.level !== "hardware") return at("waiver-hardware-level", `"${w.scenario}" has level ${sc.level}: only hardware-level scenarios may be waived as hardware only`);
      if (!w.plan_step) return at("waiver-plan-step-missing", `hardware-only waiver needs plan_step (the scenario maps to step ${sc.planStep ?? "none: add **Plan-Step** to the scenario"})`);
      if (w.plan_step !== sc.planStep) return at("waiver-plan-step", `plan_step "${w.plan_step}" does not match the scenario's Plan-Step "${sc.planStep ?? "(none)"}"`);
    }
    if (w.expires < today) set.expired.push(w);
    else set.waivers.push(w);
  });
  return set;
}
