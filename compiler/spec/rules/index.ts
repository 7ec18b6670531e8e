import { rule as specStructure } from "./spec-structure.js";
import { rule as requirementHeader } from "./requirement-header.js";
import { rule as requirementShall } from "./requirement-shall.js";
import { rule as requirementLength } from "./requirement-length.js";
import { rule as requirementScenario } from "./requirement-scenario.js";
import { rule as requirementNameUnique } from "./requirement-name-unique.js";
import { rule as scenarioHeader } from "./scenario-header.js";
import { rule as scenarioEmpty } from "./scenario-empty.js";
import { rule as scenarioSteps } from "./scenario-steps.js";
import { rule as idMissing } from "./id-missing.js";
import { rule as idFormat } from "./id-format.js";
import { rule as idUnique } from "./id-unique.js";
import { rule as idPrefix } from "./id-prefix.js";
import { rule as idStable } from "./id-stable.js";
import { rule as en18031Missing } from "./en18031-missing.js";
import { rule as en18031Unknown } from "./en18031-unknown.js";
import { rule as en18031Data } from "./en18031-data.js";
import { rule as levelMissing } from "./level-missing.js";
import { rule as levelInvalid } from "./level-invalid.js";
import { rule as metadataUnknown } from "./metadata-unknown.js";
import { rule as schemaTable } from "./schema-table.js";
import { rule as changeStructure } from "./change-structure.js";
import { rule as changeSize } from "./change-size.js";
import { rule as deltaStructure } from "./delta-structure.js";
import { rule as deltaConflict } from "./delta-conflict.js";
import { rule as deltaTarget } from "./delta-target.js";
import { rule as deltaNewCapability } from "./delta-new-capability.js";
import { rule as deltaDropsScenario } from "./delta-drops-scenario.js";
import { rule as osPurposeMissing } from "./os-purpose-missing.js";
import { rule as osRequirementsMissing } from "./os-requirements-missing.js";
import { rule as osNoRequirements } from "./os-no-requirements.js";
import { rule as osRequirementEmpty } from "./os-requirement-empty.js";
import { rule as osRequirementText } from "./os-requirement-text.js";
import { rule as osRequirementShall } from "./os-requirement-shall.js";
import { rule as osRequirementScenario } from "./os-requirement-scenario.js";
import { rule as osRequirementLength } from "./os-requirement-length.js";
import { rule as osStructure } from "./os-structure.js";
import { rule as osPurposePlaceholder } from "./os-purpose-placeholder.js";
import { rule as osPurposeBrief } from "./os-purpose-brief.js";
import { rule as osDeltaSkippedHeader } from "./os-delta-skipped-header.js";
import { rule as osRenameUnpaired } from "./os-rename-unpaired.js";
import { rule as osDeltaOrphan } from "./os-delta-orphan.js";
import { rule as osDeltaDuplicate } from "./os-delta-duplicate.js";
import { rule as osDeltaConflict } from "./os-delta-conflict.js";
import { rule as osScenarioLoss } from "./os-scenario-loss.js";
import { rule as osArchiveRefusal } from "./os-archive-refusal.js";
import { rule as osDeltaMisplaced } from "./os-delta-misplaced.js";
import { rule as osDeltaEmpty } from "./os-delta-empty.js";
import { rule as osDeltaNone } from "./os-delta-none.js";
import { rule as osSkipSpecs } from "./os-skip-specs.js";
import { rule as osChangeNoDeltas } from "./os-change-no-deltas.js";
import { rule as osChangeNested } from "./os-change-nested.js";
import { rule as osTasksCheckbox } from "./os-tasks-checkbox.js";
import { rule as osTasksNumbering } from "./os-tasks-numbering.js";
import { rule as osFile } from "./os-file.js";
import type { Rule } from "./types.js";

/** Every rule, in the order `--explain all` and the docs table list them. */
export const RULES: readonly Rule[] = [
  specStructure,
  requirementHeader,
  requirementShall,
  requirementLength,
  requirementScenario,
  requirementNameUnique,
  scenarioHeader,
  scenarioEmpty,
  scenarioSteps,
  idMissing,
  idFormat,
  idUnique,
  idPrefix,
  idStable,
  en18031Missing,
  en18031Unknown,
  en18031Data,
  levelMissing,
  levelInvalid,
  metadataUnknown,
  schemaTable,
  changeStructure,
  changeSize,
  deltaStructure,
  deltaConflict,
  deltaTarget,
  deltaNewCapability,
  deltaDropsScenario,
  osPurposeMissing,
  osRequirementsMissing,
  osNoRequirements,
  osRequirementEmpty,
  osRequirementText,
  osRequirementShall,
  osRequirementScenario,
  osRequirementLength,
  osStructure,
  osPurposePlaceholder,
  osPurposeBrief,
  osDeltaSkippedHeader,
  osRenameUnpaired,
  osDeltaOrphan,
  osDeltaDuplicate,
  osDeltaConflict,
  osScenarioLoss,
  osArchiveRefusal,
  osDeltaMisplaced,
  osDeltaEmpty,
  osDeltaNone,
  osSkipSpecs,
  osChangeNoDeltas,
  osChangeNested,
  osTasksCheckbox,
  osTasksNumbering,
  osFile,
];

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

/** The rule object of a rule name, if a file declares it. */
export function ruleById(id: string): Rule | undefined {
  return BY_ID.get(id);
}
