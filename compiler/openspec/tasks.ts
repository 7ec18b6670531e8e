/** OpenSpec's task-file warnings for a change on the built-in spec-driven schema: no checkbox at all, and ambiguous numbering. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Issue } from "./messages.js";

const TASK_LINE = /^\s*(?:[-*+]|\d{1,9}[.)])\s*\[(?:\s*([^\]\s]?)\s*\](?![([])|\s+\])\s*(.*)/;
const LIST_ITEM = /^\s*(?:[-*+]|\d{1,9}[.)])\s+\S/;
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)/;
const FRONT_MATTER = /^-{3}\s*$/;
const LEVEL_TWO = /^ {0,3}##(?!#)(?:[ \t]+|[ \t]*\r?$)/;
const NUMBERED_GROUP = /^ {0,3}##[ \t]+(\d+)\.(?:[ \t]|\r?$)/;
const TASK_ID = /^(\d+(?:\.\d+)+(?:[A-Za-z]+)?)(?=\s|$)/;

function taskLines(content: string): { description: string }[] {
  const out: { description: string }[] = [];
  for (const line of content.split("\n")) {
    const m = TASK_LINE.exec(line);
    if (m) out.push({ description: m[2]!.trim() });
  }
  return out;
}

function indentColumns(line: string): number {
  let col = 0;
  for (const ch of line) {
    if (ch === " ") col += 1;
    else if (ch === "\t") col += 4 - (col % 4);
    else break;
  }
  return col;
}

function firstListItemLine(content: string): number | undefined {
  const lines = content.split("\n");
  let index = 0;
  if (lines.length > 0 && FRONT_MATTER.test(lines[0]!.replace(/^\uFEFF/, "").trimEnd())) {
    for (let i = 1; i < lines.length; i++) {
      if (FRONT_MATTER.test(lines[i]!.trimEnd())) {
        index = i + 1;
        break;
      }
    }
  }
  let fence: { marker: string; length: number } | undefined;
  let comment = false;
  for (; index < lines.length; index++) {
    const line = lines[index]!;
    if (comment) {
      if (line.includes("-->")) comment = false;
      continue;
    }
    const f = FENCE.exec(line);
    if (f) {
      if (!fence) fence = { marker: f[1]![0]!, length: f[1]!.length };
      else if (f[1]![0] === fence.marker && f[1]!.length >= fence.length && f[2]!.trim() === "") fence = undefined;
      continue;
    }
    if (fence) continue;
    if (line.trimStart().startsWith("<!--")) {
      if (!line.includes("-->", line.indexOf("<!--") + 4)) comment = true;
      continue;
    }
    if (LIST_ITEM.test(line) && indentColumns(line) < 4) return index + 1;
  }
  return undefined;
}

function numberingIssues(content: string): { line: number; message: string }[] {
  const lines = content.split("\n");
  if (!lines.some((l) => NUMBERED_GROUP.test(l))) return [];
  const out: { line: number; message: string }[] = [];
  const first = new Map<string, number>();
  let group: string | undefined;
  lines.forEach((line, i) => {
    if (LEVEL_TWO.test(line)) group = NUMBERED_GROUP.exec(line)?.[1];
    if (group === undefined) return;
    const task = taskLines(line)[0];
    const id = task ? TASK_ID.exec(task.description)?.[1] : undefined;
    if (!id) return;
    const taskGroup = id.split(".")[0]!;
    if (taskGroup.replace(/^0+(?=\d)/, "") !== group.replace(/^0+(?=\d)/, "")) {
      out.push({ line: i + 1, message: `Task "${id}" is under group ${group}, but its leading number points to group ${taskGroup}. Move it to group ${taskGroup} or renumber it.` });
    }
    const prev = first.get(id);
    if (prev !== undefined) out.push({ line: i + 1, message: `Task ID "${id}" is duplicated; it was first declared on line ${prev}.` });
    else first.set(id, i + 1);
  });
  return out;
}

function schemaName(changeDir: string, projectRoot: string): string {
  const read = (p: string) => {
    try {
      return /^schema:\s*["']?([^"'\s#]+)["']?/m.exec(readFileSync(p, "utf8"))?.[1];
    } catch {
      return undefined;
    }
  };
  return read(join(changeDir, ".openspec.yaml")) ?? read(join(projectRoot, "openspec", "config.yaml")) ?? read(join(projectRoot, "openspec", "config.yml")) ?? "spec-driven";
}

/**
 * The task warnings OpenSpec gives a change that uses its built-in spec-driven
 * schema (tasks live in `tasks.md`). Changes on a custom schema get none: its task
 * glob is the schema's own, which we do not read.
 */
export function taskIssues(changeDir: string, projectRoot: string): Issue[] {
  if (schemaName(changeDir, projectRoot) !== "spec-driven" || existsSync(join(projectRoot, "openspec", "schemas", "spec-driven"))) return [];
  const file = join(changeDir, "tasks.md");
  let content: string;
  try {
    if (!statSync(file).isFile()) return [];
    content = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const issues: Issue[] = [];
  if (taskLines(content).length === 0) {
    const line = firstListItemLine(content);
    if (line !== undefined) {
      issues.push({ level: "WARNING", rule: "os-tasks-checkbox", path: "tasks.md", file: "tasks.md", line, message: 'This change counts as 0 tasks: no line in its tracked task files is a checkbox, so "openspec list" and "openspec status" report no work and "openspec archive" has nothing to flag as incomplete. Write each task as "- [ ] 1.1 Description".' });
    }
  }
  for (const n of numberingIssues(content)) issues.push({ level: "WARNING", rule: "os-tasks-numbering", path: "tasks.md", file: "tasks.md", ...n });
  return issues;
}
