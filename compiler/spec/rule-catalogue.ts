/**
 * Every rule `spec check` can report, with what it checks and how OpenSpec 1.13
 * (`openspec validate --all --strict`) treats the same thing. `--explain RULE`
 * prints one entry; docs/spec-format.md carries the whole table (a test keeps the
 * two in step).
 */
export interface RuleInfo {
  rule: string;
  /** which `--rules` set reports it */
  set: "atomicnix" | "openspec";
  checks: string;
  /** OpenSpec's level for the same finding in `validate --strict`, or what it does instead */
  openspec: string;
}

const A = (rule: string, checks: string, openspec: string): RuleInfo => ({ rule, set: "atomicnix", checks, openspec });
const O = (rule: string, checks: string, openspec: string): RuleInfo => ({ rule, set: "openspec", checks, openspec });

export const RULES: readonly RuleInfo[] = [
  A("spec-structure", "`## Purpose` (>= 50 characters, not a TBD/TODO placeholder) and `## Requirements` with at least one requirement; no delta sections in a main spec", "ERROR (missing section, no requirement, delta header); WARNING (Purpose too brief or placeholder)"),
  A("requirement-header", "a `###` under Requirements reads `### Requirement: <name>`", "no: OpenSpec counts any `###` child of Requirements as a requirement"),
  A("requirement-shall", "the requirement body (metadata lines excluded) has text containing SHALL or MUST", "ERROR when the body is empty; WARNING when SHALL/MUST is missing"),
  A("requirement-length", "the requirement body is at most 500 characters (a warning)", "INFO: advice that never fails a check"),
  A("requirement-scenario", "at least one `#### Scenario:` with a body under every requirement", "ERROR and WARNING (both reported)"),
  A("requirement-name-unique", "requirement names unique within a spec, ignoring case", "ERROR for exact duplicates only"),
  A("scenario-header", "a `####` under a requirement reads `#### Scenario: <name>`", "no: any `####` counts as a scenario"),
  A("scenario-empty", "a scenario header has a body", "no finding: the empty scenario is not counted (then ERROR if the requirement has none)"),
  A("scenario-steps", "steps are a bullet list of **GIVEN**/**WHEN**/**THEN**/**AND**/**BUT** items in order, at least one WHEN and one THEN; a misspelled keyword gets a did-you-mean hint", "no"),
  A("id-missing", "every requirement and scenario has an `**ID**:` line", "no"),
  A("id-format", "IDs are lower-case dotted words, at least two", "no"),
  A("id-unique", "IDs are unique across the corpus; the newer occurrence is blamed", "no"),
  A("id-prefix", "a scenario ID is its requirement's ID plus one word; a capability's requirement IDs share a prefix", "no"),
  A("id-stable", "a MODIFIED delta keeps the requirement's ID", "no"),
  A("en18031-missing", "every requirement has an `**EN18031**:` line (IDs or none)", "no"),
  A("en18031-unknown", "EN18031 IDs are EN 18031-1 requirement IDs, listed once", "no"),
  A("en18031-data", "the EN 18031 ID file can be read", "no"),
  A("level-missing", "every scenario has a `**Level**:` line", "no"),
  A("level-invalid", "the level is static, unit, artifact, device or hardware", "no"),
  A("metadata-unknown", "only known metadata keys, each once, with valid values", "no"),
  A("schema-table", "schema and data tables are well-formed and compile to JSON Schema", "no"),
  A("change-structure", "a change has proposal.md with `## Why` (50..1000 characters) and `## What Changes`, and delta specs", "`validate --all` does not read proposal.md; ERROR only when the change has no deltas"),
  A("change-size", "at most 10 deltas in one change (a warning)", "no (only `openspec validate CHANGE` on the proposal, as a warning)"),
  A("delta-structure", "a delta spec has ADDED/MODIFIED/REMOVED/RENAMED sections that list requirements or FROM/TO pairs", "ERROR"),
  A("delta-conflict", "a requirement appears in one delta section only (RENAMED + MODIFIED of the new name allowed)", "ERROR"),
  A("delta-target", "MODIFIED/REMOVED/RENAMED name an existing requirement; ADDED does not reuse a name or an ID of the baseline (reported at the delta's line)", "INFO (\"Archive would refuse this delta\"); archive refuses"),
  A("delta-new-capability", "a delta for a capability that does not exist yet has only ADDED sections", "INFO; archive refuses"),
  A("delta-drops-scenario", "a MODIFIED requirement keeps every scenario of the baseline", "ERROR"),
  O("os-purpose-missing", "the spec has a non-empty Purpose section (OpenSpec stops reading the file here)", "ERROR"),
  O("os-requirements-missing", "the spec has a Requirements section (OpenSpec stops reading the file here)", "ERROR"),
  O("os-no-requirements", "the Requirements section has at least one requirement", "ERROR"),
  O("os-requirement-empty", "a requirement has text (its header counts when the body is empty)", "ERROR"),
  O("os-requirement-text", "a `### Requirement:` block has body text", "ERROR"),
  O("os-requirement-shall", "the body contains SHALL or MUST", "WARNING"),
  O("os-requirement-scenario", "a requirement has a `####` header with a body", "ERROR (and a WARNING on main specs)"),
  O("os-requirement-length", "requirement text over 500 characters", "INFO"),
  O("os-structure", "no delta header in a main spec, no requirement outside `## Requirements`, no duplicate requirement name", "ERROR"),
  O("os-purpose-placeholder", "Purpose is not TBD/TODO or archive's placeholder sentence", "WARNING"),
  O("os-purpose-brief", "Purpose is at least 50 characters", "WARNING"),
  O("os-delta-skipped-header", "a `###` in ADDED/MODIFIED that is not `### Requirement:`", "INFO"),
  O("os-rename-unpaired", "every RENAMED FROM: has its TO: and the reverse", "ERROR"),
  O("os-delta-orphan", "a requirement outside every delta section", "WARNING"),
  O("os-delta-duplicate", "a name twice in one delta section", "ERROR"),
  O("os-delta-conflict", "a name in two conflicting delta sections", "ERROR"),
  O("os-scenario-loss", "a MODIFIED block keeps every scenario of the main spec", "ERROR"),
  O("os-archive-refusal", "what `openspec archive` would refuse (missing target, existing name, new capability with MODIFIED)", "INFO"),
  O("os-delta-misplaced", "delta sections in specs/spec.md or in a file other than <capability>/spec.md", "ERROR"),
  O("os-delta-empty", "delta sections that list no requirement", "ERROR"),
  O("os-delta-none", "a delta spec without delta sections", "ERROR"),
  O("os-skip-specs", "skip_specs in .openspec.yaml against files under specs/", "ERROR (conflict); INFO (accepted)"),
  O("os-change-no-deltas", "a change has at least one delta", "ERROR"),
  O("os-change-nested", "a folder under changes/ wrapping change folders", "ERROR"),
  O("os-tasks-checkbox", "tasks.md lists work as checkboxes", "WARNING"),
  O("os-tasks-numbering", "task numbers match their `## N.` group and are unique", "WARNING"),
  O("os-file", "the file or folder could be read", "ERROR"),
];

export function explainRule(name: string): RuleInfo | undefined {
  return RULES.find((r) => r.rule === name);
}

export function formatRule(r: RuleInfo): string {
  return `${r.rule} (--rules ${r.set})\n  checks:   ${r.checks}\n  OpenSpec: ${r.openspec}\n`;
}

/** The Markdown table for docs/spec-format.md. */
export function rulesTable(): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return ["| rule | rule set | what it checks | OpenSpec 1.13 (`validate --all --strict`) |", "|---|---|---|---|", ...RULES.map((r) => `| \`${r.rule}\` | ${r.set} | ${esc(r.checks)} | ${esc(r.openspec)} |`)].join("\n") + "\n";
}
