import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { AJV_OPTIONS } from "../../compiler/schema/ajv-options.js";
import fc from "fast-check";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { checkCorpus } from "../../compiler/corpus/check.js";
import { validatorSource } from "../../compiler/schema/standalone.js";
import { specMarkdown, writeSpecTree, REPO } from "../helpers/spec-fixtures.js";

const onHost = { targets: ["host"] } as const;

function schemaSpec(table: string): string {
  return specMarkdown("demo", "demo", [{}], `\n## Schemas\n\n### Schema: demo document\n**ID**: \`demo-doc\`\n**Format**: json\n\n${table}\n`);
}

const RICH_TABLE = [
  "| Field | Type | Required | Constraints | Default | Description |",
  "|---|---|---|---|---|---|",
  "| `version` | integer | yes | const `1` | | |",
  "| `ports` | array of integer | no | unique; min-items 1 | | |",
  "| `ports[]` | integer | | 1..65535 | | |",
  "| `name` | string | yes | pattern `^[a-z]+$`; max-length 8 | | |",
  "| `units` | map | no | key-pattern `^[A-Za-z0-9_-]+$` | | |",
  "| `units.*` | scalar or array of scalar | | | | |",
  "| `units.main` | string | yes | | | |",
  "| `kind` | string | no | pattern `^(a\\|b)$` | | |",
  "| `url` | string | no | format uri; pattern `^https://` | | |",
  "| `inbound` | object | no | exclusive `tcp,udp` `wan,lan` | | |",
  "| `inbound.tcp` | array of integer | no | | | |",
  "| `inbound.wan` | object | no | open | | |",
  "| `mode` | string | no | enum `host`, `pasta` | `\"pasta\"` | network mode |",
].join("\n");

function compileDemo(table: string) {
  const root = writeSpecTree({ "demo/spec.md": schemaSpec(table) });
  return checkCorpus(root);
}

scenario("spec.schemas.unknown-type", onHost, () => {
  const table = "| Field | Type | Required |\n|---|---|---|\n| `a` | string | yes |\n| `b` | strng | no |";
  const md = schemaSpec(table);
  const result = checkCorpus(writeSpecTree({ "demo/spec.md": md }));
  const found = result.diagnostics.filter((d) => d.rule === "schema-table");
  expect(found).toHaveLength(1);
  expect(found[0]!.message).toContain('"strng"');
  const line = md.split("\n").indexOf("| `b` | strng | no |");
  expect(found[0]!.line).toBe(line + 1);
  expect(found[0]!.column).toBe("| `b` | ".length + 1);
});

scenario("spec.schemas.keywords", onHost, () => {
  const result = compileDemo(RICH_TABLE);
  expect(result.diagnostics).toEqual([]);
  const schema = result.catalogue.schemas[0]!.schema as Record<string, any>;
  expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  expect(schema.required).toEqual(["version", "name"]);
  expect(schema.additionalProperties).toBe(false);
  expect(schema.properties.version.const).toBe(1);
  expect(schema.properties.ports).toMatchObject({ type: "array", uniqueItems: true, minItems: 1, items: { type: "integer", minimum: 1, maximum: 65535 } });
  expect(schema.properties.name).toMatchObject({ pattern: "^[a-z]+$", maxLength: 8 });
  expect(schema.properties.units.propertyNames).toEqual({ pattern: "^[A-Za-z0-9_-]+$" });
  expect(schema.properties.units.additionalProperties.anyOf).toHaveLength(2);
  expect(schema.properties.units).toMatchObject({ properties: { main: { type: "string" } }, required: ["main"] });
  expect(schema.properties.kind.pattern).toBe("^(a|b)$");
  expect(schema.properties.url.allOf).toEqual([{ pattern: "^https://" }]);
  expect(schema.properties.inbound.not).toEqual({ anyOf: [{ required: ["tcp", "wan"] }, { required: ["tcp", "lan"] }, { required: ["udp", "wan"] }, { required: ["udp", "lan"] }] });
  expect(schema.properties.inbound.properties.wan.additionalProperties).toBe(true);
  expect(schema.properties.mode).toMatchObject({ enum: ["host", "pasta"], default: "pasta", description: "network mode" });
  const ajv = new Ajv2020(AJV_OPTIONS);
  const validate = ajv.compile(schema);
  expect(validate({ version: 1, name: "gw", ports: [22, 443], inbound: { tcp: [1] } })).toBe(true);
  expect(validate({ version: 1, name: "gw", units: { main: "m" } })).toBe(true);
  expect(validate({ version: 1, name: "gw", inbound: { tcp: [1], wan: {} } })).toBe(false);
  expect(validate({ version: 1, name: "gw", ports: [22, 22] })).toBe(false);
  expect(validate({ version: 1, name: "gw", ports: [70000] })).toBe(false);
  expect(validate({ version: 1, name: "gw", extra: true })).toBe(false);
  expect(validate({ version: 1, name: "gw", units: { "bad name": 1, main: "x" } })).toBe(false);
  expect(validate({ version: 1, name: "gw", units: { other: 1 } })).toBe(false);
  expect(validate({ version: 1, name: "gw", units: { other: [1, "a"], main: "x" }, kind: "b", url: "https://x" })).toBe(true);
  expect(validate({ version: 1, name: "gw", kind: "c" })).toBe(false);
  expect(validate({ version: 1, name: "gw", url: "http://x" })).toBe(false);
});

/** Values shaped like the schema's documents, plus arbitrary JSON, to reach both verdicts. */
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.constant(null), fc.boolean(), fc.integer({ min: -5, max: 70000 }), fc.double({ noNaN: true }), fc.string({ maxLength: 12 }), fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(fc.constantFrom("version", "name", "ports", "units", "inbound", "mode", "tcp", "wan", "x"), tie("value"), { maxKeys: 5 })),
})).value;

scenario("spec.schemas.standalone-agrees", onHost, async () => {
  const result = compileDemo(RICH_TABLE);
  const schemas = [result.catalogue.schemas[0]!.schema, ...checkCorpus(join(REPO, "specs")).catalogue.schemas.map((s) => s.schema)];
  const dir = mkdtempSync(join(REPO, "node_modules", ".atomicnix-standalone-"));
  for (const [i, schema] of schemas.entries()) {
    const file = join(dir, `v${i}.js`);
    writeFileSync(file, validatorSource(schema));
    const standalone = (await import(file)).default as (v: unknown) => boolean;
    const reference = new Ajv2020(AJV_OPTIONS).compile(schema);
    let accepted = 0;
    fc.assert(
      fc.property(jsonish, (value) => {
        const verdict = standalone(value);
        if (verdict) accepted++;
        return verdict === reference(value);
      }),
      { numRuns: 400 },
    );
    if (i === 0) expect(standalone({ version: 1, name: "ok" })).toBe(true);
  }
});
