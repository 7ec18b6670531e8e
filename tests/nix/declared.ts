import type { NixNode } from "../../nix/checks/nix-ast.js";
import { type Configuration, type Env, type NixRepo, configurationModules, definitionsAt, literalString, unwrapPriority } from "../../nix/checks/repo.js";

/**
 * What one configuration's module files write, read from their syntax trees. A
 * definition is one file's value at an attribute path; nothing is merged, no
 * option default or nixpkgs module is applied, so a test using this proves what
 * our files say and never what NixOS makes of it (docs/nix.md: only evaluation on
 * a Nix machine shows that).
 */
export class Declared {
  readonly files: string[];
  constructor(
    readonly repo: NixRepo,
    config: Configuration,
  ) {
    this.files = configurationModules(repo, config).files;
  }
  /** `"a.b.c"`, or a list when a name holds a dot (`["environment", "etc", "fw_env.config"]`). */
  defs(path: string | string[]): { file: string; value: NixNode; env: Env }[] {
    return definitionsAt(this.repo, this.files, typeof path === "string" ? path.split(".") : path);
  }
  /** Each definition as a plain value (see `literal`). */
  values(path: string | string[]): unknown[] {
    return this.defs(path).map((d) => literal(d.value, d.env));
  }
  /** Attribute names any file defines below `path` (`environment.etc` -> "rauc/system.conf", ...). */
  names(path: string | string[]): string[] {
    return [...new Set(this.defs(path).flatMap((d) => (d.value.k === "attrs" ? d.value.attrs.map((b) => b.name) : [])))];
  }
  /** `pkgs.<attr>` items of every list written at `path`. */
  pkgs(path: string | string[]): string[] {
    return this.values(path).flatMap((v) => (Array.isArray(v) ? v.flatMap((x) => (x && typeof x === "object" && "pkg" in x ? [String(x.pkg)] : [])) : []));
  }
}

/**
 * A definition as a plain value: strings (also ones built from let-bound strings),
 * numbers, booleans, null, lists and sets of those; `pkgs.x` as `{ pkg: "x" }`, a
 * path as `{ path }`, anything computed as `{ expr: kind }`. mkForce/mkDefault/mkIf
 * wrappers are dropped.
 */
export function literal(node: NixNode, env: Env): unknown {
  const n = unwrapPriority(node);
  const s = literalString(n, env);
  if (s !== undefined) return s;
  if (n.k === "num") return n.v;
  if (n.k === "path") return { path: n.v };
  if (n.k === "var" && ["true", "false", "null"].includes(n.name)) return JSON.parse(n.name);
  if (n.k === "select" && n.e.k === "var" && n.e.name === "pkgs") return { pkg: n.path.join(".") };
  if (n.k === "list") return n.items.map((i) => literal(i, env));
  if (n.k === "attrs") return Object.fromEntries(n.attrs.map((b) => [b.name, literal(b.value, env)]));
  return { expr: n.k };
}
