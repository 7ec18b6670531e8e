import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import { rulesTable } from "../spec/rule-catalogue.js";

/**
 * The rules table of docs/spec-format.md sits between these two comments; `spec
 * compile` writes it from compiler/spec/rules/ and `spec compile --check` fails when
 * the file says something else.
 */
const TABLE_START = "<!-- rules-table:start (generated from compiler/spec/rules/ by `spec compile`; `spec compile --check` fails when it drifts) -->";
const TABLE_END = "<!-- rules-table:end -->";
const START_LINE = /^<!-- rules-table:start\b.*-->$/m;

/** The default docs file: docs/spec-format.md beside the specs folder (the repository's own layout). */
export function defaultRulesDoc(specsDir: string): string {
  return join(dirname(resolve(specsDir)), "docs", "spec-format.md");
}

export class RulesDocError extends Error {}

const lineOf = (text: string, index: number) => text.slice(0, index).split("\n").length;

/** `text` with the region between the markers replaced by the current table (and the start comment's wording). */
function withRulesTable(text: string, file: string): string {
  const start = START_LINE.exec(text);
  if (!start) throw new RulesDocError(`${file}:1: no "<!-- rules-table:start -->" line to write the rules table after`);
  const from = start.index + start[0].length;
  const end = text.indexOf(TABLE_END, from);
  if (end < 0) throw new RulesDocError(`${file}:${lineOf(text, start.index)}: "<!-- rules-table:start -->" has no "${TABLE_END}" after it`);
  return `${text.slice(0, start.index)}${TABLE_START}\n${rulesTable()}${text.slice(end)}`;
}

export interface RulesDocState {
  file: string;
  state: "current" | "changed";
}

/**
 * Compares (and, unless `check`, rewrites) the rules table in `file`. Returns
 * undefined when the default file does not exist: a corpus outside this repository
 * has no copy of the compiler's documentation to keep.
 */
export function syncRulesDoc(file: string, options: { check: boolean; required: boolean }): RulesDocState | undefined {
  if (!existsSync(file)) {
    if (options.required) throw new RulesDocError(`${file}: no such file (--docs names the Markdown file that carries the rules table)`);
    return undefined;
  }
  const text = readFileSync(file, "utf8");
  const wanted = withRulesTable(text, file);
  if (wanted === text) return { file, state: "current" };
  if (!options.check) writeFileAtomic(file, wanted);
  return { file, state: "changed" };
}
