import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { calleeName, getAttr, nixParseText, readNormalised, some, walk, type NixNode } from "./nix-ast.js";

/**
 * The repository's Nix files as syntax trees, and what the checks share: the
 * flake's let bindings, the module files of a configuration, the definitions our
 * modules write at an attribute path. Each check returns findings naming a file
 * and an attribute path; an empty list means it holds. Nothing here evaluates Nix
 * or knows nixpkgs: a definition is what one of our files writes, never the merged
 * option value NixOS would compute.
 */
export type Finding = { file: string; where: string; message: string };
export type Env = Map<string, NixNode>;
export type Configuration = "rock64" | "rock64-qemu";
type Scenario = { id: string; steps: { keyword: string; text: string }[] };

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
    const n = this.cache.get(rel) ?? readNormalised(nixParseText(this.abs(rel)), this.abs(rel));
    return this.cache.set(rel, n), n;
  }
  /** A scenario's steps from generated/catalogue.json: checks take their expected values from the spec. */
  scenario(id: string): Scenario {
    const found = (JSON.parse(readFileSync(this.abs("generated/catalogue.json"), "utf8")) as { scenarios: Scenario[] }).scenarios.find((x) => x.id === id);
    if (!found) throw new Error(`generated/catalogue.json: no scenario ${id}`);
    return found;
  }
}

/** A module or function body without its arguments and `let` blocks, with the bindings collected. */
export function peel(node: NixNode): { body: NixNode; env: Env } {
  let body = node.k === "lambda" ? node.body : node;
  const env: Env = new Map();
  for (; body.k === "let"; body = body.body) for (const b of body.attrs) env.set(b.name, b.value);
  return { body, env };
}

/** flake.nix: the outputs function's let bindings and its result set. */
export function flakeView(repo: NixRepo): { env: Env; outputs: NixNode; inputsUrl?: string } {
  const flake = repo.parse("flake.nix");
  const url = getAttr(flake, ["inputs", "nixpkgs", "url"]);
  const fn = getAttr(flake, ["outputs"]);
  if (fn?.k !== "lambda") throw new Error("flake.nix: `outputs` is not a function");
  const { body, env } = peel(fn);
  return { env, outputs: body, ...(url?.k === "str" ? { inputsUrl: url.v } : {}) };
}

/** The flake's module list of each configuration, a let binding read as written. */
const MODULE_LISTS: Record<Configuration, string> = { rock64: "rock64Modules", "rock64-qemu": "qemuModules" };

/** Module files of a configuration (the flake's list plus every `imports` reached) and its inline modules. */
export function configurationModules(repo: NixRepo, name: Configuration): { files: string[]; inline: NixNode[] } {
  const { env } = flakeView(repo);
  const list = env.get(MODULE_LISTS[name]);
  if (list?.k !== "list") throw new Error(`flake.nix: \`${MODULE_LISTS[name]}\` (the modules of nixosConfigurations.${name}) is not a list`);
  const files: string[] = [];
  const inline: NixNode[] = [];
  const visit = (rel: string): void => {
    if (files.includes(rel)) return;
    files.push(rel);
    walk(repo.parse(rel), (n, path) => path.at(-1) === "imports" && n.k === "list" && n.items.forEach((i) => i.k === "path" && visit(repo.rel(i.v))));
  };
  for (const item of list.items) {
    const m = item.k === "var" ? (env.get(item.name) ?? item) : item;
    if (m.k === "path") visit(repo.rel(m.v));
    else inline.push(m);
  }
  return { files, inline };
}

/** A module's definitions (its `config` when it declares `options`) and its let bindings. */
export function moduleConfig(node: NixNode): { body: NixNode; env: Env } {
  const { body, env } = peel(node);
  const config = getAttr(body, ["config"]);
  return { body: config && getAttr(body, ["options"]) ? config : body, env };
}

/** Every value our module files write at an attribute path (through mkIf/mkMerge), outermost only. */
export function definitionsAt(repo: NixRepo, files: string[], path: readonly string[]): { file: string; value: NixNode; env: Env }[] {
  const found: { file: string; value: NixNode; env: Env }[] = [];
  for (const file of files) {
    const { body, env } = moduleConfig(repo.parse(file));
    walk(body, (n, p) => p.length === path.length && p.every((x, i) => x === path[i]) && found.push({ file, value: n, env }));
  }
  // A call's arguments keep its path (`mkIf c { ... }`): drop what lies inside an earlier find.
  return found.filter((d, i) => !found.slice(0, i).some((e) => e.file === d.file && some(e.value, (n) => n === d.value)));
}

/** A check's findings and the function that adds one for `file` (or the file it is given). */
export function findingsFor(file: string): { findings: Finding[]; add: (where: string, message: string, at?: string) => void } {
  const findings: Finding[] = [];
  return { findings, add: (where, message, at = file) => void findings.push({ file: at, where, message }) };
}

const WRAPPERS = ["mkForce", "mkDefault", "mkOverride", "mkIf", "mkBefore", "mkAfter"];
/** Strips the priority and condition wrappers (mkForce x, mkOverride n x, mkIf c x ...). */
export function unwrapPriority(node: NixNode): NixNode {
  return node.k === "call" && WRAPPERS.includes(calleeName(node.fn) ?? "") ? unwrapPriority(node.args.at(-1)!) : node;
}

/**
 * The value of an expression built from literals, let-bound literals, `toString` and
 * attributes of `builtins.fromJSON (builtins.readFile ./generated/....json)` (the layout
 * facts the modules read from the specs), or undefined for anything else.
 */
function literalValue(node: NixNode, env: Env, depth = 0): unknown {
  if (depth > 50) return undefined;
  const value = (n: NixNode) => literalValue(n, env, depth + 1);
  switch (node.k) {
    case "str":
    case "num":
      return node.v;
    case "var":
      return env.has(node.name) ? value(env.get(node.name)!) : undefined;
    case "concat": {
      const parts = node.parts.map(value);
      return parts.every((p) => typeof p === "string") ? parts.join("") : undefined;
    }
    case "select": {
      if (node.def) return undefined;
      let v = value(node.e);
      for (const key of node.path) v = v !== null && typeof v === "object" && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
      return v;
    }
    case "call": {
      const name = calleeName(node.fn);
      const [arg] = node.args;
      if (node.args.length !== 1 || !arg) return undefined;
      if (name === "toString") {
        const v = value(arg);
        return typeof v === "string" || typeof v === "number" ? String(v) : undefined;
      }
      if (name === "fromJSON" && arg.k === "call" && calleeName(arg.fn) === "readFile" && arg.args[0]?.k === "path" && arg.args.length === 1) {
        try {
          return JSON.parse(readFileSync(arg.args[0].v, "utf8")) as unknown;
        } catch {
          return undefined;
        }
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** A string built as literalValue reads it (`"${emmc}p3"`, `"${emmc}p${toString layout.slots.A.boot}"`), or undefined. */
export function literalString(node: NixNode, env: Env): string | undefined {
  const v = literalValue(node, env);
  return typeof v === "string" ? v : undefined;
}

/** The checkout holding this file: the nearest directory with package.json and specs/. */
export function repoRoot(from = dirname(new URL(import.meta.url).pathname)): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "specs"))) return dir;
    if (dirname(dir) === dir) throw new Error("repository root not found");
  }
}
