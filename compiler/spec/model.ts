import type { Position } from "./markdown.js";
import type { MetadataEntry } from "./metadata.js";
import type { ParsedTable } from "../schema/cells.js";

export const STEP_KEYWORDS = ["GIVEN", "WHEN", "THEN", "AND", "BUT"] as const;
export type StepKeyword = (typeof STEP_KEYWORDS)[number];

export interface Step {
  keyword: StepKeyword;
  text: string;
  at: Position;
}

export interface Scenario {
  name: string;
  /** false when the header lacks the `Scenario:` prefix */
  prefixed: boolean;
  at: Position;
  metadata: MetadataEntry[];
  /** raw markdown under the scenario header, as OpenSpec keeps it */
  rawText: string;
  /** the first bullet list after the metadata: each item's first paragraph as written; null when there is none */
  stepItems: { raw: string; at: Position }[] | null;
  start: number;
  end: number;
}

export interface Requirement {
  name: string;
  /** false when the header lacks the `Requirement:` prefix */
  prefixed: boolean;
  at: Position;
  metadata: MetadataEntry[];
  /** body text without metadata lines and scenarios (what OpenSpec checks for SHALL) */
  text: string;
  textAt: Position;
  scenarios: Scenario[];
  start: number;
  end: number;
}

export interface TableBlock {
  kind: "schema" | "table";
  name: string;
  at: Position;
  metadata: MetadataEntry[];
  description: string;
  /** every GFM table in the block, in order */
  tables: ParsedTable[];
}

export type DeltaOperation = "ADDED" | "MODIFIED" | "REMOVED" | "RENAMED";

export interface Rename {
  from: string;
  to: string;
  at: Position;
}

export interface DeltaSection {
  operation: DeltaOperation;
  at: Position;
  requirements: Requirement[];
  renames: Rename[];
  /** REMOVED sections may list names as `### Requirement:` headers only */
}

/** One parsed spec.md: a capability's main spec or a change's delta spec. */
export interface SpecDocument {
  file: string;
  source: string;
  title?: { text: string; at: Position };
  purpose?: { text: string; at: Position };
  requirementsSection?: { at: Position; start: number; contentStart: number; end: number };
  /** h2 section names in order, for structure checks */
  sections: { name: string; at: Position; start: number; end: number }[];
  requirements: Requirement[];
  schemas: TableBlock[];
  tables: TableBlock[];
  deltas: DeltaSection[];
}

export function metadataValue(entries: readonly MetadataEntry[], key: string): MetadataEntry | undefined {
  return entries.find((e) => e.key.toLowerCase() === key.toLowerCase());
}
