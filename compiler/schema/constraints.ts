import type { DiagnosticSink } from "../spec/diagnostics.js";
import type { Position } from "../spec/markdown.js";

export type JsonSchema = { [key: string]: unknown };

export type BaseType = "string" | "integer" | "number" | "boolean" | "object" | "map" | "scalar" | "array";

/** One `;`-separated entry of a Constraints cell: its name, its bare words and its backticked parts. */
export interface Constraint {
  name: string;
  args: string[];
  code: string[];
  at: Position;
}

/**
 * What one constraint name compiles to. A keyword with `applies` is added to every
 * branch of the field's type that is one of those base types (a `scalar` branch
 * takes string and number keywords); one without is any-type and set once on the
 * field's whole schema.
 */
export interface ConstraintKeyword {
  applies?: readonly BaseType[];
  /** adds the keywords to `schema`, a branch of base type `base` (undefined for an any-type keyword) */
  apply(schema: JsonSchema, c: Constraint, sink: DiagnosticSink, base: BaseType | undefined): void;
}

/** Named formats compile to patterns so standalone validators need no format plugin at run time. */
const FORMAT_PATTERNS: Record<string, string> = {
  ipv4: "^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$",
  "ipv4-cidr": "^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}/(3[0-2]|[12]?[0-9])$",
  uri: "^[A-Za-z][A-Za-z0-9+.-]*://[^\\s]+$",
  date: "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
  "date-time": "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ][0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]+)?([Zz]|[+-][0-2][0-9]:[0-5][0-9])$",
  "sha256-hex": "^[0-9a-f]{64}$",
};

function number(c: Constraint, sink: DiagnosticSink, index = 0): number | undefined {
  const value = Number(c.args[index] ?? c.code[index]);
  if (!Number.isFinite(value)) {
    sink.report("schema-table", c.at, `constraint "${c.name}" needs a number`);
    return undefined;
  }
  return value;
}

function regex(source: string | undefined, c: Constraint, sink: DiagnosticSink): string | undefined {
  if (source === undefined) {
    sink.report("schema-table", c.at, `constraint "${c.name}" needs a regular expression in backticks`);
    return undefined;
  }
  try {
    new RegExp(source, "u");
    return source;
  } catch (e) {
    sink.report("schema-table", c.at, `invalid regular expression /${source}/: ${(e as Error).message}`);
    return undefined;
  }
}

export function jsonValue(text: string, c: Constraint | { at: Position }, sink: DiagnosticSink, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Bare words read as strings so `enum a, b` stays natural to write.
    if (/^[A-Za-z0-9_./:+-]+$/.test(text)) return text;
    sink.report("schema-table", c.at, `${what} "${text}" is not a JSON value`);
    return undefined;
  }
}

/** A second pattern (say `format` plus `pattern`) must hold as well, not replace the first. */
function addPattern(schema: JsonSchema, pattern: string): void {
  if (schema.pattern === undefined) schema.pattern = pattern;
  else schema.allOf = [...((schema.allOf as JsonSchema[] | undefined) ?? []), { pattern }];
}

const NUMERIC: readonly BaseType[] = ["integer", "number"];

/** A constraint that sets one JSON Schema keyword to its number argument. */
const numeric = (keyword: string, applies: readonly BaseType[]): ConstraintKeyword => ({
  applies,
  apply(schema, c, sink) {
    schema[keyword] = number(c, sink);
  },
});

/**
 * Every constraint name a Constraints cell may use, in the order the unknown-constraint
 * finding lists them. `N..M` is written as a bare range and read as `range`.
 */
export const CONSTRAINTS: Readonly<Record<string, ConstraintKeyword>> = {
  min: numeric("minimum", NUMERIC),
  max: numeric("maximum", NUMERIC),
  range: {
    applies: NUMERIC,
    apply(schema, c) {
      schema.minimum = Number(c.args[0]);
      schema.maximum = Number(c.args[1]);
    },
  },
  "min-length": numeric("minLength", ["string"]),
  "max-length": numeric("maxLength", ["string"]),
  pattern: {
    applies: ["string"],
    apply(schema, c, sink) {
      const p = regex(c.code[0], c, sink);
      if (p !== undefined) addPattern(schema, p);
    },
  },
  format: {
    applies: ["string"],
    apply(schema, c, sink) {
      const name = c.args[0] ?? c.code[0] ?? "";
      const p = FORMAT_PATTERNS[name];
      if (p === undefined) sink.report("schema-table", c.at, `unknown format "${name}"; known: ${Object.keys(FORMAT_PATTERNS).join(", ")}`);
      else addPattern(schema, p);
    },
  },
  "min-items": numeric("minItems", ["array"]),
  "max-items": numeric("maxItems", ["array"]),
  unique: {
    applies: ["array"],
    apply(schema) {
      schema.uniqueItems = true;
    },
  },
  "min-properties": numeric("minProperties", ["object", "map"]),
  "key-pattern": {
    applies: ["map"],
    apply(schema, c, sink) {
      const p = regex(c.code[0], c, sink);
      if (p !== undefined) schema.propertyNames = { pattern: p };
    },
  },
  open: {
    applies: ["object"],
    apply(schema) {
      schema.additionalProperties = true;
    },
  },
  exclusive: {
    applies: ["object"],
    apply(schema, c, sink) {
      const groups = c.code.map((g) => g.split(",").map((k) => k.trim()).filter(Boolean));
      if (groups.length !== 2 || groups.some((g) => g.length === 0)) {
        sink.report("schema-table", c.at, "exclusive needs two key groups in backticks, e.g. exclusive `tcp,udp` `wan,lan`");
        return;
      }
      schema.not = { anyOf: groups[0]!.flatMap((a) => groups[1]!.map((b) => ({ required: [a, b] }))) };
    },
  },
  "not-empty": {
    applies: ["string", "array", "object", "map"],
    apply(schema, _c, _sink, base) {
      if (base === "string") schema.minLength = 1;
      else if (base === "array") schema.minItems = 1;
      else schema.minProperties = 1;
    },
  },
  enum: {
    apply(schema, c, sink) {
      schema.enum = c.code.length ? c.code.map((v) => jsonValue(v, c, sink, "enum value")) : c.args.map((v) => jsonValue(v, c, sink, "enum value"));
    },
  },
  const: {
    apply(schema, c, sink) {
      schema.const = jsonValue(c.code[0] ?? c.args[0] ?? "", c, sink, "const value");
    },
  },
};

/** Whether a keyword is added to a branch of base type `base`. */
export function appliesTo(keyword: ConstraintKeyword, base: BaseType): boolean {
  const applies = keyword.applies;
  return applies !== undefined && (applies.includes(base) || (base === "scalar" && applies.some((b) => b === "string" || b === "number")));
}
