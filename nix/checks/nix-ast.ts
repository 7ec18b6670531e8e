import { spawnSync } from "node:child_process";

/**
 * Nix files read through Nix itself: `nix-instantiate --parse` checks the syntax
 * (and unbound variables) and prints the normalised expression, which this module
 * reads back. The printed form is regular (every compound expression in
 * parentheses, attribute paths expanded into nested sets, relative paths made
 * absolute, `a - b` as `__sub a b`), so the reader needs no precedence rules. It
 * keeps only what the checks look at: literals, names, selections, sets, lists,
 * functions, calls and string concatenation; every other form is an `op` whose
 * operands stay visible to `walk`.
 */
export type NixNode =
  | { k: "str"; v: string }
  | { k: "num"; v: number }
  | { k: "path"; v: string }
  | { k: "var"; name: string }
  | { k: "select"; e: NixNode; path: string[]; def?: NixNode }
  | { k: "attrs"; rec: boolean; attrs: NixBinding[]; inherits: NixInherit[] }
  | { k: "let"; attrs: NixBinding[]; inherits: NixInherit[]; body: NixNode }
  | { k: "list"; items: NixNode[] }
  | { k: "lambda"; arg?: string; formals?: { name: string; def?: NixNode }[]; body: NixNode }
  | { k: "call"; fn: NixNode; args: NixNode[] }
  | { k: "concat"; parts: NixNode[] }
  /** a binary operator, `!`, `?`, `if`, `with` or `assert`, with its operands in source order */
  | { k: "op"; op: string; args: NixNode[] };

/** A binding; a `${...}` name reads as the string "${...}". */
export interface NixBinding {
  name: string;
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

/** Runs `nix-instantiate --parse FILE`; a syntax error names file:line:column from Nix's own message. */
export function nixParseText(file: string): string {
  const r = spawnSync("nix-instantiate", ["--parse", file], { encoding: "utf8", env: { ...process.env, NIX_REMOTE: "" } });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? "nix-instantiate not found: install Debian's nix-bin (scripts/setup.sh)" : `nix-instantiate: ${r.error.message}`);
  }
  if (r.status !== 0) {
    // `error: <message>` then `at <file>:<line>:<column>:`; the nixbld-group warnings of a store-less install are dropped.
    const text = r.stderr.split("\n").filter((l) => !l.startsWith("warning:")).join("\n");
    const at = /at (.+?):(\d+):(\d+):/.exec(text);
    throw new NixSyntaxError(file, at ? Number(at[2]) : undefined, at ? Number(at[3]) : undefined, /error: (.*)/.exec(text)?.[1]?.trim() ?? text.trim());
  }
  return r.stdout;
}

export function parseNixFile(file: string): NixNode {
  return readNormalised(nixParseText(file), file);
}

type Tok = { t: "id" | "num" | "str" | "path" | "p" | "dyn" | "dynend"; v: string };
const BINARY = new Set(["==", "!=", "&&", "||", "->", "//", "++"]);
// The printer puts a space after every `}` of a set and escapes `${` inside strings, so
// `"${` and `}"` only ever open and close a dynamic attribute name.
const TOKEN = /\s+|(?<dyn>"\$\{)|(?<dynend>\}")|"(?<str>(?:[^"\\]|\\.)*)"|(?<path>\/[A-Za-z0-9._+\-/]*)|(?<num>[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)|(?<id>[A-Za-z_][A-Za-z0-9_'-]*)|(?<p>==|!=|&&|\|\||->|\/\/|\+\+|[+!?@:;,.=(){}[\]])/y;
const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r" };

function tokenize(src: string, file: string): Tok[] {
  const out: Tok[] = [];
  for (TOKEN.lastIndex = 0; TOKEN.lastIndex < src.length; ) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (!m) throw new Error(`${file}: cannot read nix-instantiate output at offset ${at}: unexpected ${JSON.stringify(src.slice(at, at + 20))}`);
    const [t, v] = Object.entries(m.groups!).find(([, x]) => x !== undefined) ?? [];
    if (t) out.push({ t: t as Tok["t"], v: t === "str" ? v!.replace(/\\(.)/gs, (_, c: string) => ESCAPES[c] ?? c) : v! });
  }
  return out;
}

/** Reads the text printed by `nix-instantiate --parse` back into a syntax tree. */
export function readNormalised(text: string, file = "<nix>"): NixNode {
  const toks = tokenize(text, file);
  let pos = 0;
  const is = (t: Tok["t"], v?: string, o = 0): boolean => toks[pos + o]?.t === t && (v === undefined || toks[pos + o]!.v === v);
  const p = (v: string, o = 0): boolean => is("p", v, o);
  const id = (v: string): boolean => is("id", v);
  const fail = (msg: string): never => {
    throw new Error(`${file}: cannot read nix-instantiate output at token ${pos} (${JSON.stringify(toks[pos])}): ${msg}`);
  };
  const skip = (v: string): void => void (p(v) || id(v) ? pos++ : fail(`expected '${v}'`));
  const word = (): string => (is("id") || is("str") ? toks[pos++]!.v : fail("expected a name"));
  // An attribute name; a `"${e}"` one is kept as the string "${...}".
  const key = (): string => {
    if (!is("dyn")) return word();
    pos++;
    term();
    if (!is("dynend")) fail("expected the end of a dynamic attribute name");
    pos++;
    return "${...}";
  };
  const keys = (): string[] => {
    const path = [key()];
    while (p(".") && !p(".", 1) && ++pos) path.push(key());
    return path;
  };
  const bindings = (end: () => boolean): { attrs: NixBinding[]; inherits: NixInherit[] } => {
    const attrs: NixBinding[] = [];
    const inherits: NixInherit[] = [];
    for (; !end(); skip(";")) {
      if (!id("inherit")) {
        const name = key();
        skip("=");
        attrs.push({ name, value: term() });
        continue;
      }
      pos++;
      const from = p("(") && ++pos ? term() : undefined;
      if (from) skip(")");
      const names: string[] = [];
      while (!p(";")) names.push(key());
      inherits.push(from ? { from, names } : { names });
    }
    return { attrs, inherits };
  };
  // `{ a, b ? e, ... }:` or `{ ... } @ x:` rather than an attribute set.
  const formalsAhead = (): boolean => {
    for (let j = pos, depth = 0; j < toks.length; j++) {
      const t = toks[j]!;
      if (t.t === "p" && t.v === "{") depth++;
      if (t.t === "p" && t.v === "}" && --depth === 0) return toks[j + 1]?.t === "p" && [":", "@"].includes(toks[j + 1]!.v);
    }
    return false;
  };
  const lambda = (): NixNode => {
    if (is("id") && p(":", 1)) {
      const arg = word();
      pos++;
      return { k: "lambda", arg, body: term() };
    }
    skip("{");
    const formals: { name: string; def?: NixNode }[] = [];
    for (; !p("}"); p(",") && pos++) {
      if (p(".")) pos += 3;
      else {
        const name = word();
        formals.push(p("?") && ++pos ? { name, def: term() } : { name });
      }
    }
    pos++;
    const arg = p("@") && ++pos ? word() : undefined;
    skip(":");
    return { k: "lambda", ...(arg ? { arg } : {}), formals, body: term() };
  };
  // A primary expression with its `.a.b [or default]` selections.
  const term = (): NixNode => {
    let node = primary();
    while (p(".") && !p(".", 1) && ++pos) {
      const path = keys();
      node = id("or") && ++pos ? { k: "select", e: node, path, def: term() } : { k: "select", e: node, path };
    }
    return node;
  };
  const primary = (): NixNode => {
    const t = toks[pos] ?? fail("unexpected end of input");
    if (t.t === "num" || t.t === "str" || t.t === "path") {
      pos++;
      return t.t === "num" ? { k: "num", v: Number(t.v) } : { k: t.t, v: t.v };
    }
    if (t.t === "id" && t.v === "rec" && p("{", 1) && ++pos) return set(true);
    if ((t.t === "id" && p(":", 1)) || (p("{") && formalsAhead())) return lambda();
    if (t.t === "id") return pos++, { k: "var", name: t.v };
    if (p("{")) return set(false);
    if (p("[") && ++pos) {
      const items: NixNode[] = [];
      while (!p("]")) items.push(term());
      pos++;
      return { k: "list", items };
    }
    if (!p("(")) return fail("unexpected token");
    pos++;
    const inner = parenthesised();
    skip(")");
    return inner;
  };
  const set = (rec: boolean): NixNode => {
    skip("{");
    const b = bindings(() => p("}"));
    pos++;
    return { k: "attrs", rec, ...b };
  };
  // `with e; b`, `assert c; b`, `if c then a else b`, `! e`: operands after the keyword and each separator.
  const keyword = (op: string, ...separators: string[]): NixNode => {
    pos++;
    const args = [term()];
    for (const s of separators) skip(s), args.push(term());
    return { k: "op", op, args };
  };
  // Inside `( ... )`: let, with, if, assert, !, a function, an operator, `+`, `?` or a call.
  const parenthesised = (): NixNode => {
    if (id("let") && ++pos) {
      const b = bindings(() => id("in"));
      pos++;
      return { k: "let", ...b, body: term() };
    }
    if (id("with") || id("assert")) return keyword(toks[pos]!.v, ";");
    if (id("if")) return keyword("if", "then", "else");
    if (p("!")) return keyword("!");
    if ((is("id") && p(":", 1)) || (p("{") && formalsAhead())) return lambda();
    const first = term();
    const t = toks[pos];
    if (p("?") && ++pos) return keys(), { k: "op", op: "?", args: [first] };
    if (t?.t === "p" && BINARY.has(t.v) && ++pos) return { k: "op", op: t.v, args: [first, term()] };
    const rest: NixNode[] = [];
    if (p("+")) {
      while (p("+") && ++pos) rest.push(term());
      return { k: "concat", parts: [first, ...rest] };
    }
    while (!p(")")) rest.push(term());
    return rest.length ? { k: "call", fn: first, args: rest } : first;
  };

  const root = term();
  if (pos !== toks.length) fail("trailing tokens");
  return root;
}

/** `a.b.c` through nested attribute sets (the printed form nests every path); `inherit` included. */
export function getAttr(node: NixNode | undefined, path: readonly string[]): NixNode | undefined {
  let cur = node;
  for (const name of path) {
    if (cur?.k !== "attrs") return undefined;
    const bound = cur.attrs.find((b) => b.name === name)?.value;
    const inherited = bound ? undefined : cur.inherits.find((i) => i.names.includes(name));
    cur = bound ?? (inherited ? (inherited.from ? { k: "select", e: inherited.from, path: [name] } : { k: "var", name }) : undefined);
  }
  return cur;
}

/** Direct operands of a node, with the attribute name that leads to each (if any). */
function children(n: NixNode): [NixNode, string?][] {
  switch (n.k) {
    case "select":
      return [[n.e], ...(n.def ? [[n.def] as [NixNode]] : [])];
    case "attrs":
    case "let":
      return [...n.attrs.map((b): [NixNode, string] => [b.value, b.name]), ...n.inherits.flatMap((i) => (i.from ? [[i.from] as [NixNode]] : [])), ...(n.k === "let" ? [[n.body] as [NixNode]] : [])];
    case "list":
      return n.items.map((x, i) => [x, `[${i}]`]);
    case "lambda":
      return [...(n.formals ?? []).flatMap((f) => (f.def ? [[f.def] as [NixNode]] : [])), [n.body]];
    case "call": {
      // mkMerge [ a b ] defines each item at the same attribute path.
      const merge = n.fn.k === "select" && n.fn.path.at(-1) === "mkMerge";
      return [[n.fn], ...n.args.flatMap((a) => (merge && a.k === "list" ? a.items : [a]).map((x): [NixNode] => [x]))];
    }
    case "concat":
      return n.parts.map((x) => [x]);
    case "op":
      return n.args.map((x) => [x]);
    default:
      return [];
  }
}

/** Visits every node depth-first with the attribute path that leads to it (list items as `[i]`). */
export function walk(node: NixNode, visit: (n: NixNode, path: readonly string[]) => void, path: string[] = []): void {
  visit(node, path);
  for (const [child, name] of children(node)) walk(child, visit, name === undefined ? path : [...path, name]);
}
