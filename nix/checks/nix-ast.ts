import { spawnSync } from "node:child_process";

/**
 * Nix files read through Nix itself: `nix-instantiate --parse` checks the syntax
 * (and unbound variables) and prints the normalised expression, which this module
 * reads back. The printed form is regular (every compound expression in
 * parentheses, attribute paths expanded into nested sets, relative paths made
 * absolute, `a - b` as `__sub a b`), so the reader needs no precedence rules. It
 * keeps what the checks look at: literals, names, selections, sets, lists,
 * functions, calls and string concatenation; any other form is an `op` whose
 * operands `walk` still visits.
 */
export type NixNode =
  | { k: "str" | "path"; v: string }
  | { k: "num"; v: number }
  | { k: "var"; name: string }
  | { k: "select"; e: NixNode; path: string[]; def?: NixNode }
  | { k: "attrs"; attrs: NixBinding[]; inherits: NixInherit[] }
  | { k: "let"; attrs: NixBinding[]; inherits: NixInherit[]; body: NixNode }
  | { k: "list"; items: NixNode[] }
  | { k: "lambda"; arg?: string; formals?: { name: string; def?: NixNode }[]; body: NixNode }
  | { k: "call"; fn: NixNode; args: NixNode[] }
  | { k: "concat"; parts: NixNode[] }
  /** a binary operator, `!`, `?`, `if`, `with` or `assert`, operands in source order */
  | { k: "op"; op: string; args: NixNode[] };
/** A binding; a `${...}` name reads as the string "${...}". */
type NixBinding = { name: string; value: NixNode };
type NixInherit = { from?: NixNode; names: string[] };

/** A syntax error as Nix reports it, at file:line:column when Nix names a position. */
export class NixSyntaxError extends Error {
  constructor(readonly file: string, readonly line: number | undefined, readonly column: number | undefined, readonly detail: string) {
    super(`${file}${line !== undefined ? `:${line}${column !== undefined ? `:${column}` : ""}` : ""}: ${detail}`);
  }
}

/** Runs `nix-instantiate --parse FILE`; a syntax error names file:line:column from Nix's own message. */
export function nixParseText(file: string): string {
  const r = spawnSync("nix-instantiate", ["--parse", file], { encoding: "utf8", env: { ...process.env, NIX_REMOTE: "" } });
  if (r.error) throw new Error((r.error as NodeJS.ErrnoException).code === "ENOENT" ? "nix-instantiate not found: install Debian's nix-bin (scripts/setup.sh)" : `nix-instantiate: ${r.error.message}`);
  if (r.status === 0) return r.stdout;
  // `error: <message>` then `at <file>:<line>:<column>:`; the nixbld-group warnings of a store-less install are dropped.
  const text = r.stderr.split("\n").filter((l) => !l.startsWith("warning:")).join("\n");
  const at = /at (.+?):(\d+):(\d+):/.exec(text);
  throw new NixSyntaxError(file, at ? Number(at[2]) : undefined, at ? Number(at[3]) : undefined, /error: (.*)/.exec(text)?.[1]?.trim() ?? text.trim());
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
  // Consumes an expected token, or the next one when `v` is undefined, and returns its text.
  const eat = (v?: string): string => (v === undefined || p(v) || id(v) ? toks[pos++]!.v : fail(`expected '${v}'`));
  const word = (): string => (is("id") || is("str") ? eat() : fail("expected a name"));
  const key = (): string => {
    if (!is("dyn")) return word();
    eat(), term();
    return is("dynend") ? (eat(), "${...}") : fail("expected the end of a dynamic attribute name");
  };
  const keys = (): string[] => {
    const path = [key()];
    while (p(".") && !p(".", 1) && eat()) path.push(key());
    return path;
  };
  const bindings = (end: () => boolean): { attrs: NixBinding[]; inherits: NixInherit[] } => {
    const attrs: NixBinding[] = [];
    const inherits: NixInherit[] = [];
    for (; !end(); eat(";")) {
      if (!id("inherit")) {
        const name = key();
        attrs.push({ name, value: (eat("="), term()) });
        continue;
      }
      eat();
      const from = p("(") && eat() ? term() : undefined;
      if (from) eat(")");
      const names: string[] = [];
      while (!p(";")) names.push(key());
      inherits.push(from ? { from, names } : { names });
    }
    return { attrs, inherits };
  };
  // `{ a, b ? e, ... }:` or `{ ... } @ x:` rather than an attribute set; `x:` likewise.
  const lambdaAhead = (): boolean => {
    if (is("id") && p(":", 1)) return true;
    for (let j = pos, depth = 0; p("{") && j < toks.length; j++) {
      const t = toks[j]!;
      if (t.t === "p" && t.v === "{") depth++;
      if (t.t === "p" && t.v === "}" && --depth === 0) return toks[j + 1]?.t === "p" && [":", "@"].includes(toks[j + 1]!.v);
    }
    return false;
  };
  const lambda = (): NixNode => {
    if (is("id")) {
      const arg = eat();
      return { k: "lambda", arg, body: (eat(":"), term()) };
    }
    const formals: { name: string; def?: NixNode }[] = [];
    for (eat("{"); !p("}"); p(",") && eat()) {
      if (p(".")) pos += 3;
      else formals.push({ name: word(), ...(p("?") && eat() ? { def: term() } : {}) });
    }
    eat();
    const arg = p("@") && eat() ? word() : undefined;
    return { k: "lambda", ...(arg ? { arg } : {}), formals, body: (eat(":"), term()) };
  };
  // A primary expression with its `.a.b [or default]` selections.
  const term = (): NixNode => {
    let node = primary();
    while (p(".") && !p(".", 1) && eat()) {
      const path = keys();
      node = id("or") && eat() ? { k: "select", e: node, path, def: term() } : { k: "select", e: node, path };
    }
    return node;
  };
  const primary = (): NixNode => {
    const t = toks[pos] ?? fail("unexpected end of input");
    if (t.t === "num") return eat(), { k: "num", v: Number(t.v) };
    if (t.t === "str" || t.t === "path") return eat(), { k: t.t, v: t.v };
    // A function is always printed in parentheses, so here `{` opens a set.
    const rec = id("rec") && p("{", 1) && eat();
    if (!rec && t.t === "id") return eat(), { k: "var", name: t.v };
    if (p("{") && eat()) {
      const b = bindings(() => p("}"));
      return eat(), { k: "attrs", ...b };
    }
    if (p("[") && eat()) {
      const items: NixNode[] = [];
      while (!p("]")) items.push(term());
      return eat(), { k: "list", items };
    }
    eat("(");
    const inner = parenthesised();
    return eat(")"), inner;
  };
  // `with e; b`, `assert c; b`, `if c then a else b`, `! e`: the operands after the keyword and each separator.
  const keyword = (...separators: string[]): NixNode => {
    const op = eat();
    const args = [term()];
    for (const s of separators) eat(s), args.push(term());
    return { k: "op", op, args };
  };
  // Inside `( ... )`: let, with, if, assert, !, a function, an operator, `+`, `?` or a call.
  const parenthesised = (): NixNode => {
    if (id("let") && eat()) {
      const b = bindings(() => id("in"));
      return eat(), { k: "let", ...b, body: term() };
    }
    if (id("with") || id("assert")) return keyword(";");
    if (id("if")) return keyword("then", "else");
    if (p("!")) return keyword();
    if (lambdaAhead()) return lambda();
    const first = term();
    const t = toks[pos];
    if (p("?") && eat()) return keys(), { k: "op", op: "?", args: [first] };
    if (t?.t === "p" && BINARY.has(t.v) && eat()) return { k: "op", op: t.v, args: [first, term()] };
    const rest: NixNode[] = [];
    const concat = p("+");
    while (concat ? p("+") && eat() : !p(")")) rest.push(term());
    return concat ? { k: "concat", parts: [first, ...rest] } : rest.length ? { k: "call", fn: first, args: rest } : first;
  };
  const root = term();
  return pos === toks.length ? root : fail("trailing tokens");
}

/** `a.b.c` through nested attribute sets (the printed form nests every path), `inherit` included. */
export function getAttr(node: NixNode | undefined, path: readonly string[]): NixNode | undefined {
  let cur = node;
  for (const name of path) {
    if (cur?.k !== "attrs") return undefined;
    const inherited = cur.inherits.find((i) => i.names.includes(name));
    cur = cur.attrs.find((b) => b.name === name)?.value ?? (inherited && (inherited.from ? { k: "select", e: inherited.from, path: [name] } : { k: "var", name }));
  }
  return cur;
}

/** A node's operands, each with the attribute name (or `[i]` list index) that leads to it. */
function children(n: NixNode): [NixNode, string?][] {
  if (n.k === "attrs" || n.k === "let") return [...n.attrs.map((b): [NixNode, string] => [b.value, b.name]), ...operands([...n.inherits.map((i) => i.from), n.k === "let" ? n.body : undefined])];
  if (n.k === "list") return n.items.map((x, i) => [x, `[${i}]`]);
  // mkMerge [ a b ] defines each item at the same attribute path.
  if (n.k === "call") return operands([n.fn, ...n.args.flatMap((a) => (calleeName(n.fn) === "mkMerge" && a.k === "list" ? a.items : [a]))]);
  if (n.k === "lambda") return operands([...(n.formals ?? []).map((f) => f.def), n.body]);
  return operands(n.k === "select" ? [n.e, n.def] : n.k === "concat" ? n.parts : n.k === "op" ? n.args : []);
}
const operands = (xs: (NixNode | undefined)[]): [NixNode][] => xs.flatMap((x) => (x ? [[x] as [NixNode]] : []));

/** `lib.mkForce` -> "mkForce", `mkIf` -> "mkIf", `lib.kernel.yes` -> "yes". */
export function calleeName(fn: NixNode): string | undefined {
  return fn.k === "var" ? fn.name : fn.k === "select" ? fn.path.at(-1) : undefined;
}

/** Visits every node depth-first with the attribute path that leads to it (list items as `[i]`). */
export function walk(node: NixNode, visit: (n: NixNode, path: readonly string[]) => void, path: string[] = []): void {
  visit(node, path);
  for (const [child, name] of children(node)) walk(child, visit, name === undefined ? path : [...path, name]);
}

/** Whether any node below (and including) `node` satisfies `test`. */
export function some(node: NixNode | undefined, test: (n: NixNode, path: readonly string[]) => boolean): boolean {
  let hit = false;
  if (node) walk(node, (n, p) => (hit ||= test(n, p)));
  return hit;
}
