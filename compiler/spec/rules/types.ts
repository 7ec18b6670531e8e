import type { Severity } from "../../../lib/problem.js";
import type { Level } from "../../../lib/levels.js";
import type { Position } from "../markdown.js";
import type { Requirement, Scenario, SpecDocument, Step } from "../model.js";

/** Which rule set a rule belongs to: `openspec` ones are what the OpenSpec CLI itself checks. */
export type RuleSet = "atomicnix" | "openspec";

/** A level `openspec validate --strict` prints. */
type OpenSpecLevel = "ERROR" | "WARNING" | "INFO";

/** Reports one finding of the rule it was handed to; the severity defaults to the rule's. */
export type Report = (at: Position, message: string, severity?: Severity) => void;

export interface CheckedScenario {
  id?: string;
  name: string;
  level?: Level;
  planStep?: string;
  steps: Step[];
  line: number;
}

export interface CheckedRequirement {
  id?: string;
  name: string;
  status: "planned" | "implemented";
  en18031: string[];
  scenarios: CheckedScenario[];
  line: number;
}

interface RequirementContext {
  /** what the model builder read from the block (IDs, status, EN 18031 IDs), findings aside */
  checked: CheckedRequirement;
  /** the known EN 18031-1 requirement IDs */
  en18031: ReadonlySet<string>;
}

interface ScenarioContext {
  requirement: CheckedRequirement;
  scenario: CheckedScenario;
}

/** One delta spec of a change, as the change pass hands it to the delta rules. */
export interface DeltaContext {
  /** the capability the delta changes */
  capability: string;
  /** that capability's main spec, when it exists */
  target?: { doc: SpecDocument; checked: readonly CheckedRequirement[] };
  /** the baseline's requirements by lower-cased name */
  baseByName: ReadonlyMap<string, CheckedRequirement>;
  /** what the per-block pass read from each ADDED/MODIFIED requirement of the delta */
  checked: ReadonlyMap<Requirement, CheckedRequirement>;
  /** where the baseline already uses an ID ("file:line"), or undefined */
  baselineId(id: string): string | undefined;
}

/** A change as the change rules see it: its proposal's text and its parsed deltas. */
export interface ChangeView {
  name: string;
  proposal?: { source: string };
  deltas: readonly SpecDocument[];
}

/**
 * The code that finds a rule's problems. The per-block pass (compiler/spec/rules.ts)
 * calls `spec`, `requirement` and `scenario` on the parsed model, the change pass
 * `delta` and `change`; a finding that only
 * shows up while another pass walks its own data (a whole corpus's IDs, a change's
 * deltas against the baseline, a schema table's cells, the OpenSpec emulation) names
 * that pass in `elsewhere` instead, so `--explain` can say where the rule lives.
 */
interface RuleCheck {
  /** a capability's main spec as a whole */
  spec?(doc: SpecDocument, report: Report): void;
  /** one requirement block: of a main spec, or ADDED/MODIFIED in a delta */
  requirement?(req: Requirement, report: Report, ctx: RequirementContext): void;
  /** one scenario of a requirement (empty ones included: a rule that needs a body checks `rawText`) */
  scenario?(sc: Scenario, report: Report, ctx: ScenarioContext): void;
  /** one delta spec of a change, against the baseline */
  delta?(doc: SpecDocument, report: Report, ctx: DeltaContext): void;
  /** a change as a whole; findings go to its proposal.md */
  change?(change: ChangeView, report: Report): void;
  /** the module whose pass reports this rule */
  elsewhere?: string;
}

export interface Rule {
  id: string;
  set: RuleSet;
  /** what a finding is reported as, unless the check says otherwise for one finding */
  severity: Severity;
  /** the level OpenSpec 1.13 (`validate --all --strict`) gives the same finding; null when it has no such rule */
  openspecLevel: OpenSpecLevel | null;
  /** what OpenSpec does, when a bare level does not say it all (the docs table prints this instead) */
  openspecNote?: string;
  /**
   * Also checked when the atomicnix pass runs with OpenSpec's rule set: the structure
   * OpenSpec itself relies on, as opposed to our metadata, ID and step rules.
   */
  core?: boolean;
  /** what the rule checks, one sentence of Markdown */
  doc: string;
  check: RuleCheck;
}
