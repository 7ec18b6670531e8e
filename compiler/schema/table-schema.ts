import type { DiagnosticSink } from "../spec/diagnostics.js";
import { metadataValue, type TableBlock } from "../spec/model.js";
import type { Position } from "../spec/markdown.js";
import { splitCell, type Cell } from "./cells.js";
import { appliesTo, CONSTRAINTS, jsonValue, type BaseType, type Constraint, type JsonSchema } from "./constraints.js";

interface TypeExpr {
  base: BaseType;
  of?: TypeExpr[];
}

interface Row {
  path: string;
  types: TypeExpr[] | undefined;
  required: boolean;
  constraints: Constraint[];
  defaultValue?: unknown;
  description: string;
  at: Position;
}

interface Node {
  row?: Row;
  props: Map<string, Node>;
  any?: Node;
  items?: Node;
}

const COLUMNS = ["field", "type", "required", "constraints", "default", "description"] as const;
const BASE_TYPES: readonly BaseType[] = ["string", "integer", "number", "boolean", "object", "map", "scalar", "array"];

function parseType(text: string): TypeExpr[] | string {
  const alternatives = text.split(/\s+or\s+/).map((s) => s.trim()).filter(Boolean);
  const out: TypeExpr[] = [];
  for (const alt of alternatives) {
    const of = /^(array|map)\s+of\s+(.+)$/.exec(alt);
    if (of) {
      const inner = parseType(of[2]!);
      if (typeof inner === "string") return inner;
      out.push({ base: of[1] as BaseType, of: inner });
      continue;
    }
    if (!(BASE_TYPES as readonly string[]).includes(alt)) return `unknown type "${alt}" (use ${BASE_TYPES.join(", ")}, "array of T", "map of T", joined with " or ")`;
    out.push({ base: alt as BaseType });
  }
  return out.length ? out : "empty type";
}

function typeText(types: readonly TypeExpr[]): string {
  return types.map((t) => (t.of ? `${t.base} of ${typeText(t.of)}` : t.base)).join(" or ");
}

type Segment = { kind: "key"; name: string } | { kind: "any" } | { kind: "item" };

function parsePath(path: string): Segment[] | string {
  if (path === "(root)") return [];
  const segments: Segment[] = [];
  const parts = path.split(".");
  for (const [i, part] of parts.entries()) {
    const m = /^([^[\]]*)((?:\[\])*)$/.exec(part);
    if (!m) return `malformed path segment "${part}"`;
    const name = m[1]!;
    if (name === "*") segments.push({ kind: "any" });
    else if (name !== "") {
      if (!/^[A-Za-z0-9_$-]+$/.test(name)) return `field name "${name}" may hold only letters, digits, "_", "-" and "$"`;
      segments.push({ kind: "key", name });
    } else if (i !== 0 || m[2] === "") return `empty path segment in "${path}"`;
    for (let k = 0; k < m[2]!.length / 2; k++) segments.push({ kind: "item" });
  }
  return segments;
}

function parseConstraints(cell: Cell | undefined, sink: DiagnosticSink): Constraint[] {
  if (!cell || !cell.raw) return [];
  const out: Constraint[] = [];
  for (const part of splitCell(cell.raw, ";")) {
    const words = part.text.split(/\s+/).filter((w) => w && w !== "\u0000");
    const first = words[0] ?? "";
    const range = /^(-?\d+(?:\.\d+)?)\.\.(-?\d+(?:\.\d+)?)$/.exec(first);
    if (range && words.length === 1) {
      out.push({ name: "range", args: [range[1]!, range[2]!], code: [], at: cell.at });
      continue;
    }
    const name = first.toLowerCase();
    if (!Object.hasOwn(CONSTRAINTS, name)) {
      sink.report("schema-table", cell.at, `unknown constraint "${part.text.replace(/\u0000/g, "`…`")}"; known: N..M, ${Object.keys(CONSTRAINTS).join(", ")}`);
      continue;
    }
    out.push({ name, args: words.slice(1).map((w) => w.replace(/,$/, "")), code: part.code, at: cell.at });
  }
  return out;
}

class SchemaBuilder {
  private readonly root: Node = { props: new Map() };
  constructor(private readonly sink: DiagnosticSink) {}

  add(row: Row, segments: Segment[]): void {
    let node = this.root;
    for (const [i, seg] of segments.entries()) {
      const last = i === segments.length - 1;
      let next: Node | undefined;
      if (seg.kind === "key") next = node.props.get(seg.name);
      else if (seg.kind === "any") next = node.any;
      else next = node.items;
      if (!next) {
        if (!last) {
          this.sink.report("schema-table", row.at, `"${row.path}": the parent field needs its own row above this one`);
          return;
        }
        next = { props: new Map() };
        if (seg.kind === "key") node.props.set(seg.name, next);
        else if (seg.kind === "any") node.any = next;
        else node.items = next;
      } else if (last) {
        this.sink.report("schema-table", row.at, `"${row.path}" is described twice`);
        return;
      }
      if (!last) node = next;
      else {
        const parentTypes = node === this.root && !this.root.row ? [{ base: "object" as BaseType }] : node.row?.types ?? [];
        const wanted: BaseType[] = seg.kind === "key" ? ["object", "map"] : seg.kind === "any" ? ["map"] : ["array"];
        if (!parentTypes.some((t) => wanted.includes(t.base))) {
          this.sink.report("schema-table", row.at, `"${row.path}": its parent is not of type ${wanted.join("/")}`);
        }
        next.row = row;
      }
    }
    if (segments.length === 0) {
      if (this.root.row) this.sink.report("schema-table", row.at, "(root) is described twice");
      this.root.row = row;
    }
  }

  build(): JsonSchema {
    return this.nodeSchema(this.root, this.root.row?.types ?? [{ base: "object" }], this.root.row);
  }

  private nodeSchema(node: Node, types: readonly TypeExpr[], row: Row | undefined): JsonSchema {
    const branches = types.map((t) => this.branch(node, t, row));
    const schema: JsonSchema = branches.length === 1 ? branches[0]! : { anyOf: branches };
    if (row) {
      for (const c of row.constraints) {
        const keyword = CONSTRAINTS[c.name]!;
        if (!keyword.applies) keyword.apply(schema, c, this.sink, undefined);
        else if (!types.some((t) => appliesTo(keyword, t.base))) this.sink.report("schema-table", c.at, `constraint "${c.name}" does not apply to type ${typeText(types)}`);
      }
      if (row.description) schema.description = row.description;
      if (row.defaultValue !== undefined) schema.default = row.defaultValue;
    }
    return schema;
  }

  private branch(node: Node, type: TypeExpr, row: Row | undefined): JsonSchema {
    let schema: JsonSchema;
    switch (type.base) {
      case "scalar":
        schema = { type: ["string", "number", "boolean"] };
        break;
      case "object": {
        const properties: JsonSchema = {};
        const required: string[] = [];
        for (const [key, child] of node.props) {
          properties[key] = this.nodeSchema(child, child.row?.types ?? [{ base: "string" }], child.row);
          if (child.row?.required) required.push(key);
        }
        schema = { type: "object", properties, additionalProperties: false };
        if (required.length) schema.required = required;
        break;
      }
      case "map": {
        const valueNode = node.any;
        const values = valueNode ? this.nodeSchema(valueNode, valueNode.row?.types ?? type.of ?? [], valueNode.row) : type.of ? this.nodeSchema({ props: new Map() }, type.of, undefined) : true;
        schema = { type: "object", additionalProperties: values };
        // Named rows under a map describe keys with their own shape (and may be required).
        if (node.props.size) {
          const properties: JsonSchema = {};
          const required: string[] = [];
          for (const [key, child] of node.props) {
            properties[key] = this.nodeSchema(child, child.row?.types ?? [{ base: "string" }], child.row);
            if (child.row?.required) required.push(key);
          }
          schema.properties = properties;
          if (required.length) schema.required = required;
        }
        break;
      }
      case "array": {
        const itemNode = node.items;
        const itemTypes = itemNode?.row?.types ?? type.of;
        if (itemNode?.row?.types && type.of && typeText(itemNode.row.types) !== typeText(type.of)) {
          this.sink.report("schema-table", itemNode.row.at, `"${itemNode.row.path}" has type ${typeText(itemNode.row.types)} but its array is declared "array of ${typeText(type.of)}"`);
        }
        schema = { type: "array" };
        if (itemTypes) schema.items = this.nodeSchema(itemNode ?? { props: new Map() }, itemTypes, itemNode?.row);
        break;
      }
      default:
        schema = { type: type.base };
    }
    for (const c of row?.constraints ?? []) {
      const keyword = CONSTRAINTS[c.name]!;
      if (appliesTo(keyword, type.base)) keyword.apply(schema, c, this.sink, type.base);
    }
    return schema;
  }
}

export interface CompiledSchema {
  id: string;
  title: string;
  file?: string;
  format?: string;
  schema: JsonSchema;
  /** ESM source of the ajv standalone validator, set once the schema compiled */
  validator?: string;
}

/** Turns a `### Schema:` block's table into a JSON Schema 2020-12 document. */
export function compileSchemaBlock(block: TableBlock, sink: DiagnosticSink): CompiledSchema | undefined {
  const id = metadataValue(block.metadata, "ID")?.value;
  if (!id) {
    sink.report("id-missing", block.at, `schema "${block.name}" has no **ID**: line`);
    return undefined;
  }
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id)) sink.report("id-format", block.at, `schema ID "${id}" must be lower-case words joined by "-"`);
  const table = block.tables[0];
  if (!table) {
    sink.report("schema-table", block.at, `schema "${block.name}" has no field table`);
    return undefined;
  }
  if (block.tables.length > 1) sink.report("schema-table", block.at, `schema "${block.name}" has more than one table; keep one field table per schema`);
  const columns = table.headers.map((h) => h.toLowerCase());
  for (const [i, h] of columns.entries()) {
    if (!(COLUMNS as readonly string[]).includes(h)) sink.report("schema-table", table.at, `unknown column "${table.headers[i]}"; columns are ${COLUMNS.join(", ")}`);
  }
  if (!columns.includes("field") || !columns.includes("type")) {
    sink.report("schema-table", table.at, "a schema table needs at least the columns Field and Type");
    return undefined;
  }
  const col = (row: Cell[], name: string): Cell | undefined => {
    const i = columns.indexOf(name);
    return i >= 0 ? row[i] : undefined;
  };
  const builder = new SchemaBuilder(sink);
  for (const cells of table.rows) {
    const fieldCell = col(cells, "field");
    const at = fieldCell?.at ?? table.at;
    const path = fieldCell?.text ?? "";
    if (!path) {
      sink.report("schema-table", at, "row without a field path");
      continue;
    }
    const segments = parsePath(path);
    if (typeof segments === "string") {
      sink.report("schema-table", at, segments);
      continue;
    }
    const typeCell = col(cells, "type");
    let types: TypeExpr[] | undefined;
    if (typeCell?.text) {
      const parsed = parseType(typeCell.text);
      if (typeof parsed === "string") sink.report("schema-table", typeCell.at, parsed);
      else types = parsed;
    } else if (segments[segments.length - 1]?.kind !== "item") {
      sink.report("schema-table", at, `"${path}" has no type`);
    }
    const requiredText = (col(cells, "required")?.text ?? "").toLowerCase();
    if (requiredText && requiredText !== "yes" && requiredText !== "no") sink.report("schema-table", col(cells, "required")!.at, `Required must be "yes" or "no", not "${requiredText}"`);
    const defaultCell = col(cells, "default");
    const row: Row = {
      path,
      types,
      required: requiredText === "yes",
      constraints: parseConstraints(col(cells, "constraints"), sink),
      description: col(cells, "description")?.text ?? "",
      at,
    };
    if (defaultCell?.text) row.defaultValue = jsonValue(defaultCell.text, defaultCell, sink, "default");
    builder.add(row, segments);
  }
  const body = builder.build();
  const schema: JsonSchema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: `urn:atomicnix:schema:${id}`,
    title: block.name,
    ...(block.description ? { description: block.description.replace(/\s+/g, " ") } : {}),
    ...body,
  };
  const file = metadataValue(block.metadata, "File")?.value;
  const format = metadataValue(block.metadata, "Format")?.value;
  return { id, title: block.name, ...(file ? { file } : {}), ...(format ? { format } : {}), schema };
}

export interface CompiledTable {
  id: string;
  title: string;
  columns: string[];
  rows: Record<string, string>[];
  /** 1-based spec line of each row, for errors about a row's values. */
  rowLines: number[];
  /** The spec file, set by the corpus check. */
  file?: string;
}

export function compileDataTable(block: TableBlock, sink: DiagnosticSink): CompiledTable | undefined {
  const id = metadataValue(block.metadata, "ID")?.value;
  if (!id) {
    sink.report("id-missing", block.at, `table "${block.name}" has no **ID**: line`);
    return undefined;
  }
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id)) sink.report("id-format", block.at, `table ID "${id}" must be lower-case words joined by "-"`);
  const table = block.tables[0];
  if (!table) {
    sink.report("schema-table", block.at, `table "${block.name}" has no GFM table`);
    return undefined;
  }
  const columns = table.headers.map((h) => h.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, ""));
  if (columns.some((c) => !c) || new Set(columns).size !== columns.length) sink.report("schema-table", table.at, "table columns need distinct, non-empty headers");
  const rows = table.rows.map((cells) => Object.fromEntries(columns.map((c, i) => [c, cells[i]?.text ?? ""])));
  return { id, title: block.name, columns, rows, rowLines: table.rows.map((cells) => cells[0]?.at.line ?? table.at.line) };
}
