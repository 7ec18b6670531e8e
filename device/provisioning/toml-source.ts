import { parse, TomlDate, TomlError } from "smol-toml";
import type { Issue, Segment } from "./issues.js";
import { formatPath } from "./issues.js";

/**
 * Parses config.toml text. Integers are read as BigInt so that a TOML float such as
 * `1.0` stays distinguishable from the integer `1` (smol-toml otherwise returns the
 * number 1 for both); the tree handed on has plain numbers plus the set of paths
 * that held floats. TOML dates have no place in config.toml and are reported here.
 */
export interface ParsedToml {
  doc: Record<string, unknown>;
  /** formatted paths of values written as TOML floats */
  floats: Set<string>;
  issues: Issue[];
}

const MAX_DEPTH = 32;

export function parseConfigToml(text: string): { ok: true; parsed: ParsedToml } | { ok: false; error: Issue } {
  let raw: Record<string, unknown>;
  try {
    raw = parse(text, { integersAsBigInt: true, maxDepth: MAX_DEPTH, unsafeKeyBehaviour: "keep" }) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const reason = e.message.replace(/^Invalid TOML document: /, "").split("\n")[0] ?? "syntax error";
      return { ok: false, error: { path: "(toml)", message: `line ${e.line}, column ${e.column}: ${reason}`, line: e.line, column: e.column } };
    }
    // smol-toml throws plain errors for a few pathological inputs (e.g. depth); keep them as syntax errors.
    return { ok: false, error: { path: "(toml)", message: `line 1, column 1: ${(e as Error).message.split("\n")[0]}`, line: 1, column: 1 } };
  }
  const floats = new Set<string>();
  const issues: Issue[] = [];
  const doc = convert(raw, [], floats, issues) as Record<string, unknown>;
  return { ok: true, parsed: { doc, floats, issues } };
}

function convert(v: unknown, path: Segment[], floats: Set<string>, issues: Issue[]): unknown {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") {
    floats.add(formatPath(path));
    return v;
  }
  if (v instanceof TomlDate || v instanceof Date) {
    issues.push({ path: formatPath(path), message: "TOML dates and times are not accepted here" });
    return null;
  }
  if (Array.isArray(v)) return v.map((item, i) => convert(item, [...path, i], floats, issues));
  if (typeof v === "object" && v !== null) {
    // Null-prototype objects: a key such as `__proto__` stays an ordinary key.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, item] of Object.entries(v)) out[k] = convert(item, [...path, k], floats, issues);
    return out;
  }
  return v;
}
