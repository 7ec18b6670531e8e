import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { checkCorpus } from "../../compiler/corpus/check.js";
import { CONSTRAINTS } from "../../compiler/schema/constraints.js";
import { specMarkdown, writeSpecTree, REPO } from "../helpers/spec-fixtures.js";

const onHost = { targets: ["host"] } as const;

scenario("spec.schemas.constraint-table", onHost, () => {
  const names = Object.keys(CONSTRAINTS);
  expect(names).toEqual(expect.arrayContaining(["range", "min", "pattern", "format", "exclusive", "not-empty", "enum", "const"]));
  // Names an object literal inherits are not constraints (a plain `in` lookup once took them for one and crashed).
  for (const bogus of ["constructor", "__proto__", "frobnicate"]) {
    const table = `| Field | Type | Constraints |\n|---|---|---|\n| \`a\` | string | min-length 1; ${bogus} |`;
    const root = writeSpecTree({ "demo/spec.md": specMarkdown("demo", "demo", [{}], `\n## Schemas\n\n### Schema: demo document\n**ID**: \`demo-doc\`\n**Format**: json\n\n${table}\n`) });
    const found = checkCorpus(root, { validators: false }).diagnostics.filter((d) => d.rule === "schema-table");
    expect(found.map((d) => d.message), bogus).toEqual([`unknown constraint "${bogus}"; known: N..M, ${names.join(", ")}`]);
  }
  const docs = readFileSync(join(REPO, "docs", "spec-format.md"), "utf8");
  const bullet = docs.slice(docs.indexOf("- **Constraints**:"), docs.indexOf("- **Default**:"));
  expect(bullet.length).toBeGreaterThan(100);
  // `range` is written N..M; every other name appears as written.
  for (const name of names.filter((n) => n !== "range")) expect(bullet, name).toContain(`\`${name}`);
  expect(bullet).toContain("`1..65535`");
});
