import { STEP_KEYWORDS, type Scenario, type Step, type StepKeyword } from "./model.js";
import type { DiagnosticSink } from "./diagnostics.js";

const STEP_LINE = /^\*\*([A-Za-z]+)\*\*:?\s*(.*)$/s;

/** Parses the scenario's bullet list into steps and reports every deviation from GIVEN/WHEN/THEN order. */
export function readSteps(scenario: Scenario, sink: DiagnosticSink): Step[] {
  if (!scenario.stepItems) {
    sink.report("scenario-steps", scenario.at, `scenario "${scenario.name}" has no step list (- **WHEN** ... / - **THEN** ...)`);
    return [];
  }
  const steps: Step[] = [];
  for (const { raw, at } of scenario.stepItems) {
    const m = STEP_LINE.exec(raw);
    const keyword = m?.[1];
    if (!m || !keyword || !(STEP_KEYWORDS as readonly string[]).includes(keyword)) {
      const hint = keyword && (STEP_KEYWORDS as readonly string[]).includes(keyword.toUpperCase()) ? ` (write **${keyword.toUpperCase()}** in capitals)` : "";
      sink.report("scenario-steps", at, `step must start with **GIVEN**, **WHEN**, **THEN**, **AND** or **BUT**${hint}: "${raw.slice(0, 60)}"`);
      continue;
    }
    const text = m[2]!.replace(/\s+/g, " ").trim();
    if (!text) sink.report("scenario-steps", at, `${keyword} step has no text`);
    steps.push({ keyword: keyword as StepKeyword, text, at });
  }
  checkOrder(scenario, steps, sink);
  return steps;
}

function checkOrder(scenario: Scenario, steps: readonly Step[], sink: DiagnosticSink): void {
  let phase: "start" | "given" | "when" | "then" = "start";
  for (const step of steps) {
    switch (step.keyword) {
      case "GIVEN":
        if (phase === "when" || phase === "then") sink.report("scenario-steps", step.at, "GIVEN must come before the first WHEN");
        else phase = "given";
        break;
      case "WHEN":
        if (phase === "then") sink.report("scenario-steps", step.at, "WHEN after THEN: split this into two scenarios");
        phase = "when";
        break;
      case "THEN":
        if (phase !== "when" && phase !== "then") sink.report("scenario-steps", step.at, "THEN must follow a WHEN");
        phase = "then";
        break;
      case "AND":
      case "BUT":
        if (phase === "start") sink.report("scenario-steps", step.at, `${step.keyword} cannot be the first step`);
        break;
    }
  }
  if (steps.length > 0) {
    if (!steps.some((s) => s.keyword === "WHEN")) sink.report("scenario-steps", scenario.at, `scenario "${scenario.name}" has no WHEN step`);
    if (!steps.some((s) => s.keyword === "THEN")) sink.report("scenario-steps", scenario.at, `scenario "${scenario.name}" has no THEN step`);
  }
}
