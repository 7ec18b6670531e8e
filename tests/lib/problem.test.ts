import { expect, it } from "vitest";
import { compareProblems, formatProblem, problemJson, type Problem } from "../../lib/problem.js";

it("formats a positioned problem as FILE:LINE:COLUMN SEVERITY RULE: MESSAGE", () => {
  expect(formatProblem({ severity: "error", rule: "level-missing", file: "specs/a/spec.md", line: 12, column: 3, message: "no level" })).toBe("specs/a/spec.md:12:3 error level-missing: no level");
});

it("puts a field path after the file and a hint on its own line", () => {
  const p: Problem = { severity: "warning", rule: "waiver-schema", file: "waivers.toml", path: "waiver[1].expires", message: "must be string", hint: "write a date" };
  expect(formatProblem(p)).toBe("waivers.toml waiver[1].expires warning waiver-schema: must be string\n  hint: write a date");
});

it("gives JSON in one key order without absent fields", () => {
  const json = problemJson({ message: "m", file: "f", rule: "r", severity: "info", column: 2, line: 1 });
  expect(Object.keys(json)).toEqual(["severity", "rule", "file", "line", "column", "message"]);
  expect(JSON.stringify(json)).toBe('{"severity":"info","rule":"r","file":"f","line":1,"column":2,"message":"m"}');
});

it("orders by file, line, column, path, rule", () => {
  const base = { severity: "error" as const, message: "" };
  const ps: Problem[] = [
    { ...base, rule: "b", file: "b.md", line: 1, column: 1 },
    { ...base, rule: "z", file: "a.md", line: 2, column: 1 },
    { ...base, rule: "y", file: "a.md", line: 1, column: 5 },
    { ...base, rule: "x", file: "a.md", line: 1, column: 5 },
  ];
  expect(ps.sort(compareProblems).map((p) => p.rule)).toEqual(["x", "y", "z", "b"]);
});
