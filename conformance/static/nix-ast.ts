import { spawnSync } from "node:child_process";

/**
 * Nix files read through Nix itself: `nix-instantiate --parse` checks the syntax
 * (and unbound variables) and prints the normalised expression, which this module
 * reads back into a small AST. The printed form is regular (every compound
 * expression parenthesised, attribute paths expanded into nested sets, relative
 * paths made absolute, attributes sorted), so the reader needs no precedence rules
 * and the checks built on it see what Nix sees, not what a regex guesses.
 */

export type NixNode =
  | { k: "int"; v: number }
  | { k: "float"; v: number }
  | { k: "str"; v: string }
  | { k: "path"; v: string }
  | { k: "var"; name: string }
  | { k: "select"; e: NixNode; path: AttrKey[]; def?: NixNode }
  | { k: "hasattr"; e: NixNode; path: AttrKey[] }
  | { k: "attrs"; rec: boolean; attrs: NixBinding[]; inherits: NixInherit[] }
  | { k: "list"; items: NixNode[] }
  | { k: "lambda"; arg?: string; formals?: { name: string; def?: NixNode }[]; ellipsis: boolean; body: NixNode }
  | { k: "call"; fn: NixNode; args: NixNode[] }
  | { k: "let"; attrs: NixBinding[]; inherits: NixInherit[]; body: NixNode }
  | { k: "with"; scope: NixNode; body: NixNode }
  | { k: "if"; cond: NixNode; then: NixNode; else: NixNode }
  | { k: "assert"; cond: NixNode; body: NixNode }
  | { k: "not"; e: NixNode }
  | { k: "op"; op: string; left: NixNode; right: NixNode }
  | { k: "concat"; parts: NixNode[] };

/** An attribute name: a plain string, or a `${...}` expression. */
export type AttrKey = string | NixNode;
export interface NixBinding {
  name: AttrKey;
  value: NixNode;
}
export interface NixInherit {
  from?: NixNode;
  names: string[];
}

export class NixSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly detail: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}${column !== undefined ? `:${column}` : ""}` : ""}: ${detail}`);
  }
}

/**
 * Runs `nix-instantiate --parse FILE`. A syntax error becomes a NixSyntaxError
 * naming file:line:column from Nix's own message.
 */
export function nixParseText(file: string): string {
  const r = spawnSync("nix-instantiate", ["--parse", file], { encoding: "utf8", env: { ...process.env, NIX_REMOTE: "" } });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? "nix-instantiate not found: install Debian's nix-bin (scripts/setup.sh)" : `nix-instantiate: ${r.error.message}`);
  }
  if (r.status !== 0) {
    // Nix prints `error: <message>` and then `at <file>:<line>:<column>:`; the
    // harmless nixbld-group warnings of a store-less install are dropped.
    const text = r.stderr.split("\n").filter((l) => !l.startsWith("warning:")).join("\n");
    const at = /at (.+?):(\d+):(\d+):/.exec(text);
    const message = /error: (.*)/.exec(text)?.[1]?.trim() ?? text.trim();
    throw new NixSyntaxError(file, at ? Number(at[2]) : undefined, at ? Number(at[3]) : undefined, message);
  }
  return r.stdout;
}

/** Parses a Nix file into its normalised AST. */
export function parseNixFile(file: string): NixNode {
  return readNormalised(nixParseText(file), file);
}

type Tok =
  | { t: "id"; v: string }
  | { t: "num"; v: string }
  | { t: "str"; v: string }
  | { t: "dyn" } // `"${` opening a dynamic attribute name
  | { t: "dynend" } // the `}"` closing it
  | { t: "path"; v: string }
  | { t: "p"; v: string }; // punctuation and operators

const OPERATORS = ["==", "!=", "&&", "||", "->", "//", "++", "+", "!", "?", "@", ":", ";", ",", ".", "=", "(", ")", "{", "}", "[", "]", "<", ">"];
const ID_START = /[A-Za-z_]/;
const ID_CHAR = /[A-Za-z0-9_'-]/;

function tokenize(src: string, file: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let dynDepth: number[] = []; // brace depth at which each open `"${` closes
  let braces = 0;
  const fail = (msg: string): never => {
    throw new Error(`${file}: cannot read nix-instantiate output at offset ${i}: ${msg}`);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === " " || c === "\n" || c === "\t") {
      i++;
      continue;
    }
    if (c === "}" && src[i + 1] === '"' && dynDepth.length && dynDepth[dynDepth.length - 1] === braces) {
      dynDepth = dynDepth.slice(0, -1);
      out.push({ t: "dynend" });
      i += 2;
      continue;
    }
    if (c === '"') {
      if (src[i + 1] === "$" && src[i + 2] === "{") {
        out.push({ t: "dyn" });
        dynDepth.push(braces);
        i += 3;
        continue;
      }
      let v = "";
      i++;
      for (;;) {
        if (i >= src.length) fail("unterminated string");
        const d = src[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === "\\") {
          const e = src[i + 1];
          v += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : (e ?? "");
          i += 2;
          continue;
        }
        v += d;
        i++;
      }
      out.push({ t: "str", v });
      continue;
    }
    if (c === "/" && src[i + 1] !== "/") {
      const m = /^\/[A-Za-z0-9._+\-/]*/.exec(src.slice(i))!;
      out.push({ t: "path", v: m[0] });
      i += m[0].length;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(src.slice(i))!;
      out.push({ t: "num", v: m[0] });
      i += m[0].length;
      continue;
    }
    if (ID_START.test(c)) {
      let j = i + 1;
      while (j < src.length && ID_CHAR.test(src[j]!)) j++;
      out.push({ t: "id", v: src.slice(i, j) });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) fail(`unexpected character ${JSON.stringify(c)}`);
    if (op === "{") braces++;
    if (op === "}") braces--;
    out.push({ t: "p", v: op! });
    i += op!.length;
  }
  return out;
}

const BINARY = new Set(["==", "!=", "&&", "||", "->", "//", "++"]);

/** Reads the text printed by `nix-instantiate --parse` back into an AST. */
export function readNormalised(text: string, file = "<nix>"): NixNode {
  const toks = tokenize(text, file);
  let pos = 0;
  const peek = (o = 0): Tok | undefined => toks[pos + o];
  const isP = (v: string, o = 0): boolean => {
    const t = peek(o);
    return t?.t === "p" && t.v === v;
  };
  const isId = (v: string, o = 0): boolean => {
    const t = peek(o);
    return t?.t === "id" && t.v === v;
  };
  const fail = (msg: string): never => {
    throw new Error(`${file}: cannot read nix-instantiate output at token ${pos} (${JSON.stringify(peek())}): ${msg}`);
  };
  const expectP = (v: string): void => {
    if (!isP(v)) fail(`expected '${v}'`);
    pos++;
  };
  const ident = (): string => {
    const t = peek();
    if (t?.t !== "id") return fail("expected an identifier");
    pos++;
    return t.v;
  };

  const attrKey = (): AttrKey => {
    const t = peek();
    if (t?.t === "id") {
      pos++;
      return t.v;
    }
    if (t?.t === "str") {
      pos++;
      return t.v;
    }
    if (t?.t === "dyn") {
      pos++;
      const e = expr();
      if (peek()?.t !== "dynend") fail("expected the end of a dynamic attribute name");
      pos++;
      return e;
    }
    return fail("expected an attribute name");
  };
  const attrPath = (): AttrKey[] => {
    const path = [attrKey()];
    while (isP(".")) {
      pos++;
      path.push(attrKey());
    }
    return path;
  };

  // `name = value;` and `inherit (from) a b ;` until the closing token.
  const bindings = (end: () => boolean): { attrs: NixBinding[]; inherits: NixInherit[] } => {
    const attrs: NixBinding[] = [];
    const inherits: NixInherit[] = [];
    while (!end()) {
      if (isId("inherit")) {
        pos++;
        let from: NixNode | undefined;
        if (isP("(")) {
          pos++;
          from = expr();
          expectP(")");
        }
        const names: string[] = [];
        while (!isP(";")) names.push(String(attrKey()));
        expectP(";");
        inherits.push(from ? { from, names } : { names });
        continue;
      }
      const path = attrPath();
      if (path.length !== 1) fail("nested attribute path in normalised output");
      expectP("=");
      const value = expr();
      expectP(";");
      attrs.push({ name: path[0]!, value });
    }
    return { attrs, inherits };
  };

  const attrset = (rec: boolean): NixNode => {
    expectP("{");
    const b = bindings(() => isP("}"));
    expectP("}");
    return { k: "attrs", rec, ...b };
  };

  const isFormalsAhead = (): boolean => {
    // `{ a, b ? e, ... }:` or `{ ... } @ x:` versus an attribute set.
    if (!isP("{")) return false;
    let depth = 0;
    for (let j = pos; j < toks.length; j++) {
      const t = toks[j]!;
      if (t.t === "p" && t.v === "{") depth++;
      if (t.t === "p" && t.v === "}") {
        depth--;
        if (depth === 0) {
          const n = toks[j + 1];
          return n?.t === "p" && (n.v === ":" || n.v === "@");
        }
      }
    }
    return false;
  };

  const lambda = (): NixNode => {
    if (peek()?.t === "id" && isP(":", 1)) {
      const arg = ident();
      expectP(":");
      return { k: "lambda", arg, ellipsis: false, body: expr() };
    }
    expectP("{");
    const formals: { name: string; def?: NixNode }[] = [];
    let ellipsis = false;
    while (!isP("}")) {
      if (isP(".") && isP(".", 1) && isP(".", 2)) {
        pos += 3;
        ellipsis = true;
      } else {
        const name = ident();
        if (isP("?")) {
          pos++;
          formals.push({ name, def: expr() });
        } else formals.push({ name });
      }
      if (isP(",")) pos++;
    }
    expectP("}");
    let arg: string | undefined;
    if (isP("@")) {
      pos++;
      arg = ident();
    }
    expectP(":");
    return { k: "lambda", ...(arg ? { arg } : {}), formals, ellipsis, body: expr() };
  };

  // A primary term, with `.attr.path [or (default)]` selection after a parenthesised
  // expression or a variable.
  const term = (): NixNode => {
    let node = primary();
    while (isP(".") && !(isP(".", 1) && isP(".", 2))) {
      pos++;
      const path = [attrKey()];
      while (isP(".")) {
        pos++;
        path.push(attrKey());
      }
      let def: NixNode | undefined;
      if (isId("or")) {
        pos++;
        def = term();
      }
      node = def ? { k: "select", e: node, path, def } : { k: "select", e: node, path };
    }
    return node;
  };

  const primary = (): NixNode => {
    const t = peek();
    if (!t) return fail("unexpected end of input");
    if (t.t === "num") {
      pos++;
      return t.v.includes(".") || /e/i.test(t.v) ? { k: "float", v: Number(t.v) } : { k: "int", v: Number(t.v) };
    }
    if (t.t === "str") {
      pos++;
      return { k: "str", v: t.v };
    }
    if (t.t === "path") {
      pos++;
      return { k: "path", v: t.v };
    }
    if (t.t === "id") {
      if (t.v === "rec" && isP("{", 1)) {
        pos++;
        return attrset(true);
      }
      if (t.v === "assert") {
        pos++;
        const cond = expr();
        expectP(";");
        return { k: "assert", cond, body: expr() };
      }
      if (isP(":", 1)) return lambda();
      pos++;
      return { k: "var", name: t.v };
    }
    if (t.t === "p" && t.v === "{") return isFormalsAhead() ? lambda() : attrset(false);
    if (t.t === "p" && t.v === "[") {
      pos++;
      const items: NixNode[] = [];
      while (!isP("]")) items.push(term());
      pos++;
      return { k: "list", items };
    }
    if (t.t === "p" && t.v === "(") {
      pos++;
      const inner = parenthesised();
      expectP(")");
      return inner;
    }
    return fail("unexpected token");
  };

  // Inside `( ... )`: let, with, if, !, a lambda, a binary operation, a string
  // concatenation, a has-attr test or a function call.
  const parenthesised = (): NixNode => {
    if (isId("let")) {
      pos++;
      const b = bindings(() => isId("in"));
      pos++;
      return { k: "let", ...b, body: expr() };
    }
    if (isId("with")) {
      pos++;
      const scope = expr();
      expectP(";");
      return { k: "with", scope, body: expr() };
    }
    if (isId("if")) {
      pos++;
      const cond = expr();
      if (!isId("then")) fail("expected 'then'");
      pos++;
      const th = expr();
      if (!isId("else")) fail("expected 'else'");
      pos++;
      return { k: "if", cond, then: th, else: expr() };
    }
    if (isP("!")) {
      pos++;
      return { k: "not", e: expr() };
    }
    if ((peek()?.t === "id" && isP(":", 1)) || isFormalsAhead()) return lambda();
    const first = term();
    if (isP("?")) {
      pos++;
      return { k: "hasattr", e: first, path: attrPath() };
    }
    const t = peek();
    if (t?.t === "p" && BINARY.has(t.v)) {
      pos++;
      return { k: "op", op: t.v, left: first, right: expr() };
    }
    if (isP("+")) {
      const parts = [first];
      while (isP("+")) {
        pos++;
        parts.push(term());
      }
      return { k: "concat", parts };
    }
    const args: NixNode[] = [];
    while (!isP(")")) args.push(term());
    return args.length ? { k: "call", fn: first, args } : first;
  };

  const expr = (): NixNode => term();

  const root = expr();
  if (pos !== toks.length) fail("trailing tokens");
  return root;
}

/** The literal name of an attribute key, or undefined for a dynamic one. */
export function keyName(key: AttrKey): string | undefined {
  return typeof key === "string" ? key : undefined;
}

/** Looks up `a.b.c` through nested attribute sets (the normalised form nests every path). */
export function getAttr(node: NixNode | undefined, path: readonly string[]): NixNode | undefined {
  let cur = node;
  for (const name of path) {
    if (!cur || cur.k !== "attrs") return undefined;
    const bound = cur.attrs.find((b) => b.name === name)?.value;
    // `inherit x;` binds x from the enclosing scope; `inherit (e) x;` selects it from e.
    const inherited = bound ? undefined : cur.inherits.find((i) => i.names.includes(name));
    cur = bound ?? (inherited ? (inherited.from ? { k: "select", e: inherited.from, path: [name] } : { k: "var", name }) : undefined);
  }
  return cur;
}

/** Visits every node depth-first, with the attribute path that leads to it. */
export function walk(node: NixNode, visit: (n: NixNode, path: readonly string[]) => void, path: string[] = []): void {
  visit(node, path);
  const child = (n: NixNode | undefined, p: string[] = path): void => {
    if (n) walk(n, visit, p);
  };
  switch (node.k) {
    case "select":
      child(node.e);
      child(node.def);
      break;
    case "hasattr":
    case "not":
      child(node.e);
      break;
    case "attrs":
    case "let":
      for (const b of node.attrs) child(b.value, [...path, typeof b.name === "string" ? b.name : "${...}"]);
      for (const i of node.inherits) child(i.from);
      if (node.k === "let") child(node.body);
      break;
    case "list":
      node.items.forEach((n, idx) => child(n, [...path, `[${idx}]`]));
      break;
    case "lambda":
      for (const f of node.formals ?? []) child(f.def);
      child(node.body);
      break;
    case "call": {
      child(node.fn);
      // mkMerge [ a b ] defines each item at the same attribute path.
      const merge = node.fn.k === "select" && node.fn.path[node.fn.path.length - 1] === "mkMerge";
      for (const a of node.args) {
        if (merge && a.k === "list") a.items.forEach((item) => child(item));
        else child(a);
      }
      break;
    }
    case "with":
      child(node.scope);
      child(node.body);
      break;
    case "if":
      child(node.cond);
      child(node.then);
      child(node.else);
      break;
    case "assert":
      child(node.cond);
      child(node.body);
      break;
    case "op":
      child(node.left);
      child(node.right);
      break;
    case "concat":
      node.parts.forEach((p) => child(p));
      break;
    default:
      break;
  }
}
