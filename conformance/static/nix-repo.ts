import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { getAttr, parseNixFile, walk, type NixNode } from "./nix-ast.js";

/**
 * The repository's Nix files as their syntax trees (`nix-instantiate --parse`,
 * nix-ast.ts), with what the checks share: the flake's let bindings, the module
 * files of a configuration, the definitions at an attribute path. Each check lives
 * in its own file and returns findings naming a file and an attribute path; an
 * empty list means it holds. None of this evaluates nixpkgs: an upstream option
 * reads as absent here.
 */

export interface Finding {
  file: string;
  where: string;
  message: string;
}

interface CatalogueScenario {
  id: string;
  steps: { keyword: string; text: string }[];
}

export class NixRepo {
  private readonly cache = new Map<string, NixNode>();
  constructor(readonly root: string) {}

  rel(abs: string): string {
    return relative(this.root, abs).split(sep).join("/");
  }
  abs(rel: string): string {
    return resolve(this.root, rel);
  }
  parse(rel: string): NixNode {
    let n = this.cache.get(rel);
    if (!n) {
      n = parseNixFile(this.abs(rel));
      this.cache.set(rel, n);
    }
    return n;
  }
  scenario(id: string): CatalogueScenario {
    const cat = JSON.parse(readFileSync(this.abs("generated/catalogue.json"), "utf8")) as { scenarios: CatalogueScenario[] };
    const s = cat.scenarios.find((x) => x.id === id);
    if (!s) throw new Error(`generated/catalogue.json: no scenario ${id}`);
    return s;
  }
}

// ---------------------------------------------------------------- evaluation helpers

export type Env = Map<string, NixNode>;

/** Bindings of a `let` or `rec { }` as an environment (later scopes shadow earlier ones). */
export function extend(env: Env, node: NixNode): Env {
  if (node.k !== "let" && !(node.k === "attrs" && node.rec)) return env;
  const next = new Map(env);
  for (const b of node.attrs) if (typeof b.name === "string") next.set(b.name, b.value);
  return next;
}

/** Strips `lib.mkForce x`, `lib.mkDefault x`, `lib.mkOverride n x` and `lib.mkIf c x` wrappers. */
export function unwrapPriority(node: NixNode): NixNode {
  if (node.k === "call") {
    const name = calleeName(node.fn);
    if (name && ["mkForce", "mkDefault", "mkOverride", "mkIf", "mkBefore", "mkAfter"].includes(name)) {
      return unwrapPriority(node.args[node.args.length - 1]!);
    }
  }
  return node;
}

/** `lib.mkForce` -> "mkForce", `mkForce` -> "mkForce", `lib.kernel.yes` -> "yes". */
export function calleeName(fn: NixNode): string | undefined {
  if (fn.k === "var") return fn.name;
  if (fn.k === "select") {
    const last = fn.path[fn.path.length - 1];
    return typeof last === "string" ? last : undefined;
  }
  return undefined;
}

/**
 * Resolves an expression far enough to see its shape: variables through let/rec
 * bindings, `a // b` merges, `lib.genAttrs [names] f` and selections. Returns the
 * attribute set (or string/list) it denotes, or undefined when that needs a real
 * evaluation.
 */
export function resolveShape(node: NixNode, env: Env, depth = 0): NixNode | undefined {
  if (depth > 40) return undefined;
  const again = (n: NixNode, e = env): NixNode | undefined => resolveShape(n, e, depth + 1);
  switch (node.k) {
    case "var": {
      const v = env.get(node.name);
      return v ? again(v) : undefined;
    }
    case "let":
      return again(node.body, extend(env, node));
    case "attrs":
    case "str":
    case "list":
    case "path":
    case "lambda":
      return node;
    case "op":
      if (node.op === "//") {
        const l = again(node.left);
        const r = again(node.right);
        if (l?.k === "attrs" && r?.k === "attrs") {
          const names = new Set(r.attrs.map((b) => b.name));
          return { k: "attrs", rec: false, attrs: [...l.attrs.filter((b) => !names.has(b.name)), ...r.attrs], inherits: [...l.inherits, ...r.inherits] };
        }
      }
      return undefined;
    case "call": {
      if (calleeName(node.fn) === "genAttrs" && node.args.length === 2) {
        const names = again(node.args[0]!);
        if (names?.k === "list") {
          const keys = names.items.map((i) => again(i)).filter((i): i is { k: "str"; v: string } => i?.k === "str").map((i) => i.v);
          return { k: "attrs", rec: false, attrs: keys.map((k) => ({ name: k, value: { k: "call", fn: node.args[1]!, args: [{ k: "str", v: k }] } as NixNode })), inherits: [] };
        }
      }
      return undefined;
    }
    case "select": {
      const base = again(node.e);
      const target = base && getAttr(base, node.path.map((p) => (typeof p === "string" ? p : "")));
      return target ? again(target) : undefined;
    }
    default:
      return undefined;
  }
}

/** Renders a string-valued expression whose parts are literals or let-bound literals. */
export function resolveString(node: NixNode, env: Env): string | undefined {
  const n = resolveShape(node, env) ?? node;
  if (n.k === "str") return n.v;
  if (n.k === "concat") {
    const parts = n.parts.map((p) => resolveString(p, env));
    return parts.every((p) => p !== undefined) ? parts.join("") : undefined;
  }
  return undefined;
}

export function attrNames(node: NixNode | undefined): string[] {
  return node?.k === "attrs" ? [...node.attrs.map((b) => b.name).filter((n): n is string => typeof n === "string"), ...node.inherits.flatMap((i) => i.names)] : [];
}

// ---------------------------------------------------------------- flake

interface FlakeView {
  /** let environment of the outputs function */
  env: Env;
  outputs: NixNode;
  inputsUrl?: string;
}

export function flakeView(repo: NixRepo): FlakeView {
  const flake = repo.parse("flake.nix");
  const url = getAttr(flake, ["inputs", "nixpkgs", "url"]);
  const outputsFn = getAttr(flake, ["outputs"]);
  if (!outputsFn || outputsFn.k !== "lambda") throw new Error("flake.nix: `outputs` is not a function");
  let body = outputsFn.body;
  let env: Env = new Map();
  while (body.k === "let") {
    env = extend(env, body);
    body = body.body;
  }
  return { env, outputs: body, ...(url?.k === "str" ? { inputsUrl: url.v } : {}) };
}

/** The output names the seed's Flake Outputs chapter lists (specs/build-artifacts, build.flake-outputs). */
// ---------------------------------------------------------------- module graph

/** The flake's module list of each configuration: a let binding, read as written. */
const MODULE_LISTS = { rock64: "rock64Modules", "rock64-qemu": "qemuModules" } as const;

/** Module files of a NixOS configuration: the flake's module list plus every `imports` reached from it. */
export function configurationModules(repo: NixRepo, configName: "rock64" | "rock64-qemu"): { files: string[]; inline: NixNode[] } {
  const { env } = flakeView(repo);
  const list = env.get(MODULE_LISTS[configName]);
  if (!list || list.k !== "list") throw new Error(`flake.nix: \`${MODULE_LISTS[configName]}\` (the modules of nixosConfigurations.${configName}) is not a list`);
  const files: string[] = [];
  const inline: NixNode[] = [];
  const visit = (rel: string): void => {
    if (files.includes(rel)) return;
    files.push(rel);
    const mod = repo.parse(rel);
    walk(mod, (n, path) => {
      if (path.length && path[path.length - 1] === "imports" && n.k === "list") {
        for (const item of n.items) if (item.k === "path") visit(repo.rel(item.v));
      }
    });
  };
  for (const item of list.items) {
    const m = item.k === "var" ? (env.get(item.name) ?? item) : item;
    if (m.k === "path") visit(repo.rel(m.v));
    else inline.push(m);
  }
  return { files, inline };
}

/** The option definitions of a module (its `config` when it has `options`), with the let environment. */
export function moduleConfig(node: NixNode): { body: NixNode; env: Env } {
  let n = node;
  let env: Env = new Map();
  if (n.k === "lambda") n = n.body;
  while (n.k === "let") {
    env = extend(env, n);
    n = n.body;
  }
  const cfg = getAttr(n, ["config"]);
  if (cfg && getAttr(n, ["options"])) return { body: cfg, env };
  return { body: n, env };
}

/** Every value defined at an attribute path in the modules (through mkIf/mkMerge/calls). */
export function definitionsAt(repo: NixRepo, files: string[], path: string[]): { file: string; value: NixNode; env: Env }[] {
  const found: { file: string; value: NixNode; env: Env }[] = [];
  for (const file of files) {
    const { body, env } = moduleConfig(repo.parse(file));
    walk(body, (n, p) => {
      if (p.length === path.length && p.every((x, i) => x === path[i]) && !isInsideDefinition(p)) found.push({ file, value: n, env });
    });
  }
  // walk visits an attribute value and its unwrapped forms at the same path; keep the outermost.
  return found.filter((d, i) => !found.slice(0, i).some((e) => e.file === d.file && contains(e.value, d.value)));
}
function isInsideDefinition(_p: readonly string[]): boolean {
  return false;
}
function contains(outer: NixNode, inner: NixNode): boolean {
  if (outer === inner) return true;
  let hit = false;
  walk(outer, (n) => {
    if (n === inner) hit = true;
  });
  return hit;
}

// ---------------------------------------------------------------- all .nix files

export function nixFiles(root: string): string[] {
  const out: string[] = [];
  const skip = new Set(["node_modules", ".git", "dist", "evidence", ".cache", "result"]);
  const visit = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(e.name) || e.name.startsWith("result-")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile() && e.name.endsWith(".nix")) out.push(relative(root, p).split(sep).join("/"));
    }
  };
  visit(root);
  return out.sort();
}

export function repoRoot(from = dirname(new URL(import.meta.url).pathname)): string {
  let dir = from;
  while (!existsSync(join(dir, "package.json")) || !statSync(join(dir, "specs")).isDirectory()) {
    const up = dirname(dir);
    if (up === dir) throw new Error("repository root not found");
    dir = up;
  }
  return dir;
}
