import { STEP_KEYWORDS, type Scenario, type Step, type StepKeyword } from "./model.js";
import type { Report } from "./rules/types.js";

const STEP_LINE = /^\*\*([A-Za-z]+)\*\*:?\s*(.*)$/s;

const silent: Report = () => {};

/**
 * Parses the scenario's bullet list into steps; with `report` (the scenario-steps
 * rule) also reports every deviation from GIVEN/WHEN/THEN order. The model builder
 * and the rule share this one reading, so the steps the catalogue lists are the ones
 * the rule judged.
 */
export function readSteps(scenario: Scenario, report: Report = silent): Step[] {
  if (!scenario.stepItems) {
    report(scenario.at, `scenario "${scenario.name}" has no step list (- **WHEN** ... / - **THEN** ...)`);
    return [];
  }
  const steps: Step[] = [];
  for (const { raw, at } of scenario.stepItems) {
    const m = STEP_LINE.exec(raw);
    const keyword = m?.[1];
    if (!m || !keyword || !(STEP_KEYWORDS as readonly string[]).includes(keyword)) {
      const meant = keyword ? closestKeyword(keyword) : undefined;
      const hint = meant ? (meant === keyword!.toUpperCase() ? ` (write **${meant}** in capitals)` : ` (did you mean **${meant}**?)`) : "";
      report(at, `step must start with **GIVEN**, **WHEN**, **THEN**, **AND** or **BUT**${hint}: "${raw.slice(0, 60)}"`);
      // Read it as the keyword it was meant to be, so one typo is one finding (no "no WHEN step" on top).
      if (meant) steps.push({ keyword: meant, text: m![2]!.replace(/\s+/g, " ").trim(), at });
      continue;
    }
    const text = m[2]!.replace(/\s+/g, " ").trim();
    if (!text) report(at, `${keyword} step has no text`);
    steps.push({ keyword: keyword as StepKeyword, text, at });
  }
  checkOrder(scenario, steps, report);
  return steps;
}

function checkOrder(scenario: Scenario, steps: readonly Step[], report: Report): void {
  let phase: "start" | "given" | "when" | "then" = "start";
  for (const step of steps) {
    switch (step.keyword) {
      case "GIVEN":
        if (phase === "when" || phase === "then") report(step.at, "GIVEN must come before the first WHEN");
        else phase = "given";
        break;
      case "WHEN":
        if (phase === "then") report(step.at, "WHEN after THEN: split this into two scenarios");
        phase = "when";
        break;
      case "THEN":
        if (phase !== "when" && phase !== "then") report(step.at, "THEN must follow a WHEN");
        phase = "then";
        break;
      case "AND":
      case "BUT":
        if (phase === "start") report(step.at, `${step.keyword} cannot be the first step`);
        break;
    }
  }
  if (steps.length > 0) {
    if (!steps.some((s) => s.keyword === "WHEN")) report(scenario.at, `scenario "${scenario.name}" has no WHEN step`);
    if (!steps.some((s) => s.keyword === "THEN")) report(scenario.at, `scenario "${scenario.name}" has no THEN step`);
  }
}

/** Levenshtein distance, small inputs only. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      // a swap of two neighbours (WEHN) counts as one edit
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The step keyword a misspelt one most likely meant (at most one edit for short words, two for longer). */
function closestKeyword(word: string): StepKeyword | undefined {
  const upper = word.toUpperCase();
  if (upper.length > 8) return undefined;
  let best: { k: StepKeyword; d: number } | undefined;
  for (const k of STEP_KEYWORDS) {
    const d = distance(upper, k);
    if (d <= (k.length <= 3 ? 1 : 2) && (!best || d < best.d)) best = { k, d };
  }
  return best?.k;
}
