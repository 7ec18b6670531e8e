/** OpenSpec 1.13's wording, so our findings under `--rules openspec` read like the tool authors know. */
export const MIN_PURPOSE_LENGTH = 50;
export const MAX_REQUIREMENT_TEXT_LENGTH = 500;

export const MSG = {
  REQUIREMENT_EMPTY: "Requirement text cannot be empty",
  REQUIREMENT_NO_SCENARIOS: "Requirement must have at least one scenario",
  SPEC_NO_REQUIREMENTS: "Spec must have at least one requirement",
  CHANGE_NO_DELTAS: "Change must have at least one delta",
  SKIP_SPECS_CONFLICT: "skip_specs is set in .openspec.yaml but spec files exist under specs/. Remove skip_specs or delete the delta spec files",
  SKIP_SPECS_ACCEPTED: "skip_specs is set in .openspec.yaml: change declares no spec-level behavior changes, zero deltas accepted",
  PURPOSE_TOO_BRIEF: `Purpose section is too brief (less than ${MIN_PURPOSE_LENGTH} characters)`,
  PURPOSE_IS_PLACEHOLDER:
    "Purpose section is still a placeholder rather than a Purpose anyone wrote (the sentence `openspec archive` writes for a new capability, or a `TBD`/`TODO` marker left in its place). Replace it with what this capability is for, editing the main spec directly: a `## Purpose` in a delta is read only when the capability is created, so it cannot replace this one.",
  REQUIREMENT_TOO_LONG: `Requirement text is very long (>${MAX_REQUIREMENT_TEXT_LENGTH} characters). Consider breaking it down.`,
  GUIDE_NO_DELTAS:
    'No deltas found. Ensure your change has a specs/ directory with capability folders (e.g. specs/http-server/spec.md) containing .md files that use delta headers (## ADDED/MODIFIED/REMOVED/RENAMED Requirements) and that each requirement includes at least one "#### Scenario:" block. If this change intentionally modifies no specs (pure refactor, tooling, docs), set "skip_specs: true" in the change\'s .openspec.yaml instead. Tip: run "openspec change show <change-id> --json --deltas-only" to inspect parsed deltas.',
  GUIDE_MISSING_SPEC_SECTIONS:
    'Missing required sections. Expected headers: "## Purpose" and "## Requirements". Example:\n## Purpose\n[brief purpose]\n\n## Requirements\n### Requirement: Clear requirement statement\nUsers SHALL ...\n\n#### Scenario: Descriptive name\n- **WHEN** ...\n- **THEN** ...',
  GUIDE_SCENARIO_FORMAT: "Scenarios must use level-4 headers. Convert bullet lists into:\n#### Scenario: Short name\n- **WHEN** ...\n- **THEN** ...\n- **AND** ...",
  PLACEHOLDER_PREFIX: "TBD - created by archiving change ",
  PLACEHOLDER_SUFFIX: ". Update Purpose after archive.",
} as const;

export type Level = "ERROR" | "WARNING" | "INFO";

export interface Issue {
  level: Level;
  /** our name for the OpenSpec check (see `spec check --explain`) */
  rule: string;
  /** OpenSpec's issue path (`requirements[0].scenarios`, `file`, `cap/spec.md`, ...) */
  path: string;
  message: string;
  /** 1-based line in the file the issue belongs to, when known */
  line?: number;
  /** file the issue belongs to, relative to the item (change items only) */
  file?: string;
}

export function missingShallMessage(prefix: string, blockName: string, guidanceOnly = false): string {
  const base = `${prefix} ${guidanceOnly ? "should" : "must"} contain SHALL or MUST`;
  const suffix = guidanceOnly ? " (RFC 2119 best practice for English specs)" : "";
  if (/\b(SHALL|MUST)\b/.test(blockName)) {
    return `${base} in the requirement body, not only in the header. Move the SHALL/MUST statement to the line immediately after the "### Requirement: ..." header.${suffix}`;
  }
  return `${base}${suffix}`;
}
