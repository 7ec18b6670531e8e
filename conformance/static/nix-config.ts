import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseIni } from "../targets/artifacts/ini.js";
import { getAttr, type NixNode } from "./nix-ast.js";
import { configurationModules, flakeView, type NixRepo } from "./nix-repo.js";

/**
 * A deliberately small evaluator of the NixOS module system, enough to read what
 * our own modules declare for `nixosConfigurations.<name>` without Nix being able
 * to build here: option defaults, definitions with mkIf/mkMerge/mkForce/mkDefault,
 * string interpolation and the few lib functions the modules use. Everything it
 * does not understand throws `Unsupported`, so a check built on it fails loudly
 * instead of passing on a guess. Values from nixpkgs (packages, NixOS's own option
 * defaults) are not modelled: a package is a `Pkg` naming its attribute, and an
 * option no module of ours declares or defines reads as `undefined`.
 */

export class Unsupported extends Error {}
/** A `throw` of the Nix code itself: evaluation of the configuration fails with this message. */
export class NixThrow extends Error {}

export class Pkg {
  constructor(readonly attr: string) {}
  toString(): string {
    return `/nix/store/<${this.attr}>`;
  }
}
export class NixPath {
  constructor(readonly abs: string) {}
}
class Fn {
  constructor(readonly call: (arg: Thunk) => Value) {}
}
/** `lib.mkIf`, `lib.mkMerge` and the priority wrappers, kept until definitions are merged. */
class Wrapped {
  constructor(
    readonly kind: "if" | "merge" | "prio",
    readonly content: Value,
    readonly cond = true,
    readonly prio = 100,
  ) {}
}
class OptionDecl {
  constructor(readonly decl: Attrs) {}
}
/** A lazy attribute set. */
export class Attrs {
  constructor(readonly fields: Map<string, Thunk>) {}
  get(name: string): Value | undefined {
    return this.fields.get(name)?.force();
  }
  names(): string[] {
    return [...this.fields.keys()];
  }
}
/** A selection from `config` not resolved yet: `cfg.slots.boot0` extends it. */
class ConfigRef {
  constructor(readonly path: string[]) {}
}
export type Value = string | number | boolean | null | Value[] | Attrs | Pkg | NixPath | Fn | Wrapped | OptionDecl | ConfigRef;

class Thunk {
  private v: Value | undefined;
  private busy = false;
  constructor(private readonly compute: () => Value) {}
  static of(v: Value): Thunk {
    const t = new Thunk(() => v);
    return t;
  }
  force(): Value {
    if (this.v === undefined) {
      if (this.busy) throw new Unsupported("infinite recursion");
      this.busy = true;
      this.v = this.compute();
      this.busy = false;
    }
    return this.v;
  }
}

type Scope = Map<string, Thunk>;

/** One module: its `config` part, its `options` part and the scope they are evaluated in. */
interface Module {
  file: string;
  config: NixNode;
  options?: NixNode;
  scope: Scope;
}

/** A definition found at an option path, with the priority of its mkForce/mkDefault wrapper. */
export interface Definition {
  file: string;
  value: Value;
  prio: number;
}

const attrsOf = (o: Record<string, Value>): Attrs => new Attrs(new Map(Object.entries(o).map(([k, v]) => [k, Thunk.of(v)])));
const fn = (f: (a: Value) => Value): Fn => new Fn((t) => f(t.force()));
const fn2 = (f: (a: Value, b: Value) => Value): Fn => fn((a) => fn((b) => f(a, b)));

export class NixConfig {
  private readonly modules: Module[] = [];
  /** extra definitions, as a test module would add them: "os-upgrade.pollingInterval" -> "6h" */
  constructor(
    readonly repo: NixRepo,
    readonly configName: "rock64" | "rock64-qemu",
    private readonly overrides: Record<string, Value> = {},
  ) {
    const { files, inline } = configurationModules(repo, configName);
    const flake = flakeView(repo);
    const flakeScope: Scope = new Map([["lib", Thunk.of(this.lib())]]);
    for (const [name, node] of flake.env) flakeScope.set(name, new Thunk(() => this.ev(node, flakeScope)));
    for (const node of inline) this.modules.push({ file: "flake.nix", config: node, scope: flakeScope });
    for (const file of files) this.modules.push(this.loadModule(file));
  }

  private loadModule(file: string): Module {
    let node = this.repo.parse(file);
    const scope: Scope = new Map([
      ["config", Thunk.of(new ConfigRef([]))],
      ["lib", Thunk.of(this.lib())],
      ["pkgs", Thunk.of(this.pkgs())],
      ["modulesPath", Thunk.of("<nixpkgs/nixos/modules>")],
      // flake.nix specialArgs: the runtime is a package built by nix/runtime.nix; the
      // release series comes from nixpkgs, which is not evaluated here.
      ["atomicnixRuntime", Thunk.of(new Pkg("atomicnix-runtime"))],
      [
        "releaseSeries",
        new Thunk(() => {
          throw new Unsupported("releaseSeries is read from nixpkgs' lib.trivial.release");
        }),
      ],
    ]);
    if (node.k === "lambda") node = node.body;
    while (node.k === "let") {
      const n = node;
      for (const b of n.attrs) if (typeof b.name === "string") scope.set(b.name, new Thunk(() => this.ev(b.value, scope)));
      node = n.body;
    }
    const options = getAttr(node, ["options"]);
    const config = getAttr(node, ["config"]);
    if (options) return { file, config: config ?? { k: "attrs", rec: false, attrs: [], inherits: [] }, options, scope };
    return { file, config: node, scope };
  }

  // ------------------------------------------------------------ option values

  /** Every definition of an option path in the configuration's modules. */
  definitions(path: string[]): Definition[] {
    const out: Definition[] = [];
    for (const m of this.modules) this.collect(m.config, path, m.scope, m.file, 100, out);
    const key = path.join(".");
    if (key in this.overrides) out.push({ file: "(override)", value: this.overrides[key]!, prio: 100 });
    return out;
  }

  private collect(node: NixNode, path: string[], scope: Scope, file: string, prio: number, out: Definition[]): void {
    if (node.k === "let") {
      const inner: Scope = new Map(scope);
      for (const b of node.attrs) if (typeof b.name === "string") inner.set(b.name, new Thunk(() => this.ev(b.value, inner)));
      this.collect(node.body, path, inner, file, prio, out);
      return;
    }
    if (node.k === "attrs" && path.length > 0) {
      const b = node.attrs.find((x) => x.name === path[0]);
      if (b) this.collect(b.value, path.slice(1), scope, file, prio, out);
      if (node.attrs.some((x) => typeof x.name !== "string")) throw new Unsupported(`${file}: dynamic attribute name on the way to ${path.join(".")}`);
      return;
    }
    if (node.k === "call" && path.length > 0) {
      const name = calleeOf(node);
      if (name === "mkIf") {
        // The condition is read only when the body can define the path: `mkIf
        // cfg.enable { ... }` must not recurse into the option it guards.
        if (mayDefine(node.args[1]!, path) && truthy(this.resolve(this.ev(node.args[0]!, scope)), file)) this.collect(node.args[1]!, path, scope, file, prio, out);
        return;
      }
      if (name === "mkMerge") {
        const list = node.args[0]!;
        if (list.k !== "list") throw new Unsupported(`${file}: mkMerge of a non-literal list`);
        for (const item of list.items) this.collect(item, path, scope, file, prio, out);
        return;
      }
    }
    // Anything else is evaluated and the rest of the path selected from the value.
    let value: Value | undefined = this.ev(node, scope);
    for (const [i, p] of path.entries()) {
      value = unwrapAll(value, file);
      if (value === undefined) return;
      if (!(value instanceof Attrs)) throw new Unsupported(`${file}: ${path.slice(0, i).join(".")} is not an attribute set`);
      value = value.get(p);
    }
    if (value === undefined) return;
    this.pushDefinitions(value, file, prio, out);
  }

  private pushDefinitions(value: Value, file: string, prio: number, out: Definition[]): void {
    if (value instanceof Wrapped) {
      if (value.kind === "if") {
        if (value.cond) this.pushDefinitions(value.content, file, prio, out);
      } else if (value.kind === "merge") {
        for (const v of value.content as Value[]) this.pushDefinitions(v, file, prio, out);
      } else this.pushDefinitions(value.content, file, value.prio, out);
      return;
    }
    out.push({ file, value, prio });
  }

  /** The option's default, from the `options` declaration of one of our modules. */
  optionDefault(path: string[]): Value | undefined {
    for (const m of this.modules) {
      if (!m.options) continue;
      let decl: Value | undefined = this.ev(m.options, m.scope);
      for (const p of path) {
        decl = unwrapAll(decl, m.file);
        if (decl instanceof OptionDecl) break;
        decl = decl instanceof Attrs ? decl.get(p) : undefined;
      }
      if (decl instanceof OptionDecl) return decl.decl.get("default");
    }
    return undefined;
  }

  /**
   * The merged value of an option: the definitions of the highest priority (lists
   * concatenated, attribute sets merged, one scalar), else the option default.
   */
  value(path: string[]): Value | undefined {
    const defs = this.definitions(path);
    if (defs.length === 0) return this.optionDefault(path);
    const best = Math.min(...defs.map((d) => d.prio));
    const winners = defs.filter((d) => d.prio === best).map((d) => d.value);
    if (winners.every((w) => Array.isArray(w))) return (winners as Value[][]).flat().map((x) => (x instanceof ConfigRef ? this.resolve(x) : x));
    if (winners.every((w) => w instanceof Attrs)) {
      const names = new Set((winners as Attrs[]).flatMap((a) => a.names()));
      return new Attrs(new Map([...names].map((n) => [n, new Thunk(() => this.value([...path, n]) ?? null)])));
    }
    const scalars = winners.map((w) => (w instanceof ConfigRef ? this.value(w.path) : w));
    if (new Set(scalars.map((s) => JSON.stringify(s))).size > 1) throw new Unsupported(`${path.join(".")}: conflicting definitions`);
    return scalars[0];
  }

  // ------------------------------------------------------------ expressions

  ev(node: NixNode, scope: Scope): Value {
    switch (node.k) {
      case "str":
        return node.v;
      case "int":
      case "float":
        return node.v;
      case "path":
        return new NixPath(node.v);
      case "list":
        return node.items.map((i) => this.ev(i, scope));
      case "var": {
        if (node.name === "true") return true;
        if (node.name === "false") return false;
        if (node.name === "null") return null;
        const t = scope.get(node.name);
        if (t) return t.force();
        const builtin = this.builtins().get(node.name);
        if (builtin !== undefined) return builtin;
        throw new Unsupported(`unknown variable ${node.name}`);
      }
      case "attrs": {
        const fields = new Map<string, Thunk>();
        const inner: Scope = node.rec ? new Map(scope) : scope;
        for (const b of node.attrs) {
          if (typeof b.name !== "string") throw new Unsupported("dynamic attribute name");
          const t = new Thunk(() => this.ev(b.value, inner));
          fields.set(b.name, t);
          if (node.rec) inner.set(b.name, t);
        }
        for (const inh of node.inherits) {
          for (const n of inh.names) {
            const t = inh.from ? new Thunk(() => this.select(this.ev(inh.from!, scope), [n]) ?? missing(n)) : scope.get(n) ?? new Thunk(() => this.ev({ k: "var", name: n }, scope));
            fields.set(n, t);
          }
        }
        return new Attrs(fields);
      }
      case "let": {
        const inner: Scope = new Map(scope);
        for (const b of node.attrs) if (typeof b.name === "string") inner.set(b.name, new Thunk(() => this.ev(b.value, inner)));
        return this.ev(node.body, inner);
      }
      case "select": {
        const path = node.path.map((p) => (typeof p === "string" ? p : String(this.ev(p, scope))));
        try {
          const v = this.select(this.ev(node.e, scope), path);
          if (v === undefined && node.def) return this.ev(node.def, scope);
          if (v === undefined) throw new Unsupported(`attribute ${path.join(".")} missing`);
          return v;
        } catch (e) {
          if (node.def && e instanceof Unsupported) return this.ev(node.def, scope);
          throw e;
        }
      }
      case "hasattr": {
        const path = node.path.map((p) => (typeof p === "string" ? p : String(this.ev(p, scope))));
        return this.select(this.ev(node.e, scope), path) !== undefined;
      }
      case "concat": {
        const parts = node.parts.map((p) => this.ev(p, scope));
        if (parts.every((p) => typeof p === "number")) return (parts as number[]).reduce((a, b) => a + b, 0);
        if (parts[0] instanceof NixPath) return new NixPath(parts[0].abs + parts.slice(1).map((p) => this.str(p)).join(""));
        return parts.map((p) => this.str(p)).join("");
      }
      case "not":
        return !truthy(this.resolve(this.ev(node.e, scope)), "!");
      case "op": {
        const l = () => this.resolve(this.ev(node.left, scope));
        const r = () => this.resolve(this.ev(node.right, scope));
        switch (node.op) {
          case "==":
            return JSON.stringify(plain(l())) === JSON.stringify(plain(r()));
          case "!=":
            return JSON.stringify(plain(l())) !== JSON.stringify(plain(r()));
          case "&&":
            return truthy(l(), "&&") && truthy(r(), "&&");
          case "||":
            return truthy(l(), "||") || truthy(r(), "||");
          case "->":
            return !truthy(l(), "->") || truthy(r(), "->");
          case "++": {
            const a = l();
            const b = r();
            if (!Array.isArray(a) || !Array.isArray(b)) throw new Unsupported("++ of non-lists");
            return [...a, ...b];
          }
          case "//": {
            const a = l();
            const b = r();
            const fa = a instanceof OptionDecl ? a.decl : a;
            if (!(fa instanceof Attrs) || !(b instanceof Attrs)) throw new Unsupported("// of non-sets");
            const merged = new Attrs(new Map([...fa.fields, ...b.fields]));
            return a instanceof OptionDecl ? new OptionDecl(merged) : merged;
          }
        }
        throw new Unsupported(`operator ${node.op}`);
      }
      case "if":
        return truthy(this.resolve(this.ev(node.cond, scope)), "if") ? this.ev(node.then, scope) : this.ev(node.else, scope);
      case "lambda":
        return new Fn((arg) => {
          const inner: Scope = new Map(scope);
          if (node.arg) inner.set(node.arg, arg);
          if (node.formals) {
            const set = arg.force();
            if (!(set instanceof Attrs)) throw new Unsupported("function with formals called with a non-set");
            for (const f of node.formals) {
              const given = set.fields.get(f.name);
              if (given) inner.set(f.name, given);
              else if (f.def) inner.set(f.name, new Thunk(() => this.ev(f.def!, inner)));
            }
          }
          return this.ev(node.body, inner);
        });
      case "call": {
        let f = this.ev(node.fn, scope);
        for (const a of node.args) {
          if (!(f instanceof Fn)) throw new Unsupported(`call of a non-function (${describe(node.fn)})`);
          f = f.call(new Thunk(() => this.ev(a, scope)));
        }
        return f;
      }
      case "with":
        throw new Unsupported("with-expressions are not evaluated");
      case "assert":
        return this.ev(node.body, scope);
    }
  }

  /** Config references become the option values they name. */
  resolve(v: Value): Value {
    if (v instanceof ConfigRef) {
      const got = this.value(v.path);
      if (got === undefined) throw new Unsupported(`config.${v.path.join(".")} is not declared or defined by our modules`);
      return this.resolve(got);
    }
    return v;
  }

  private select(base: Value, path: string[]): Value | undefined {
    let cur: Value | undefined = base;
    for (const [i, p] of path.entries()) {
      if (cur instanceof ConfigRef) return new ConfigRef([...cur.path, ...path.slice(i)]);
      if (cur instanceof OptionDecl) cur = cur.decl;
      if (cur instanceof Pkg) return new Pkg([cur.attr, ...path.slice(i)].join("."));
      if (!(cur instanceof Attrs)) throw new Unsupported(`selection .${p} from a non-set`);
      cur = cur.get(p);
      if (cur === undefined) return undefined;
    }
    return cur;
  }

  str(v: Value): string {
    const r = this.resolve(v);
    if (typeof r === "string") return r;
    if (typeof r === "number") return String(r);
    if (r instanceof Pkg) return r.toString();
    if (r instanceof NixPath) return `/nix/store/<${basename(r.abs)}>`;
    throw new Unsupported(`cannot interpolate ${describeValue(r)}`);
  }

  // ------------------------------------------------------------ lib, pkgs, builtins

  private libCache: Attrs | undefined;
  private lib(): Attrs {
    if (this.libCache) return this.libCache;
    const wrap = (kind: "prio", prio: number) => fn((x) => new Wrapped(kind, x, true, prio));
    // Option types are never checked here; a type constructor returns an empty set.
    const typesFn: Fn = fn(() => new Attrs(new Map()));
    const typeNames = ["str", "bool", "int", "path", "package", "lines", "port", "listOf", "attrsOf", "nullOr", "enum", "submodule", "oneOf", "either", "anything"];
    const typeAttrs = new Attrs(new Map(typeNames.map((n) => [n, Thunk.of(typesFn)])));
    const lib: Record<string, Value> = {
      mkIf: fn((c) => new Fn((x) => (truthy(this.resolve(c), "mkIf") ? new Wrapped("if", x.force(), true) : new Wrapped("if", null, false)))),
      mkMerge: fn((l) => new Wrapped("merge", l)),
      mkForce: wrap("prio", 50),
      mkDefault: wrap("prio", 1000),
      mkOverride: fn2((p, x) => new Wrapped("prio", x, true, Number(p))),
      mkBefore: fn((x) => x),
      mkAfter: fn((x) => x),
      mkOption: fn((d) => new OptionDecl(d as Attrs)),
      mkEnableOption: fn(() => new OptionDecl(attrsOf({ default: false }))),
      literalExpression: fn((x) => x),
      replaceStrings: fn((from) => fn2((to, s) => replaceStrings(listOf(this.resolve(from)).map((x) => this.str(x)), listOf(this.resolve(to)).map((x) => this.str(x)), this.str(s)))),
      concatStringsSep: fn2((sep, l) => listOf(this.resolve(l)).map((x) => this.str(x)).join(this.str(sep))),
      // Lazy in the second argument, as in Nix: it is only read when the condition holds.
      optionalString: fn((c) => new Fn((s) => (truthy(this.resolve(c), "optionalString") ? this.str(s.force()) : ""))),
      optional: fn((c) => new Fn((x) => (truthy(this.resolve(c), "optional") ? [x.force()] : []))),
      optionals: fn((c) => new Fn((x) => (truthy(this.resolve(c), "optionals") ? listOf(x.force()) : []))),
      types: typeAttrs,
      kernel: new Attrs(new Map(["yes", "no", "module"].map((n) => [n, Thunk.of(n)]))),
    };
    this.libCache = attrsOf(lib);
    return this.libCache;
  }

  private pkgs(): Attrs {
    // Any attribute is a package named by its attribute path (pkgs.openvpn).
    const fields = new Map<string, Thunk>();
    return new Proxy(new Attrs(fields), {
      get(target, prop, recv) {
        if (prop === "get") return (name: string) => new Pkg(name);
        return Reflect.get(target, prop, recv);
      },
    });
  }

  private builtinsCache: Map<string, Value> | undefined;
  private builtins(): Map<string, Value> {
    if (this.builtinsCache) return this.builtinsCache;
    const b = new Map<string, Value>([
      ["toString", fn((x) => (x instanceof NixPath ? x.abs : this.str(x)))],
      ["baseNameOf", fn((x) => basename(x instanceof NixPath ? x.abs : this.str(x)))],
      [
        "import",
        fn((p) => {
          if (!(p instanceof NixPath)) throw new Unsupported("import of a non-path");
          if (this.repo.rel(p.abs) === "nix/unit-files.nix") return fn(() => unitFilesLibrary());
          throw new Unsupported(`import ${this.repo.rel(p.abs)} is not modelled`);
        }),
      ],
    ]);
    const attrValues = fn((a) => {
      const set = this.resolve(a);
      if (!(set instanceof Attrs)) throw new Unsupported("attrValues of a non-set");
      return set.names().sort().map((n) => set.get(n)!);
    });
    b.set("builtins", attrsOf({ readFile: fn((p) => readFileSync((p as NixPath).abs, "utf8")), replaceStrings: this.lib().get("replaceStrings")!, attrValues }));
    this.builtinsCache = b;
    return b;
  }
}

/**
 * nix/unit-files.nix reproduced: `install [ sources ]` gives one systemd.units entry
 * per unit file (a path, or what `replaceLine` returns for one) with its text and the
 * [Install] targets read back from that text; `replaceLine src prefix line` swaps the
 * single line starting with `prefix` and throws like the Nix function when there is
 * none or several (tests/nix/config.test.ts runs the Nix function itself with
 * nix-instantiate and compares).
 */
export function unitFilesLibrary(): Attrs {
  const source = (src: Value): { file: NixPath; text: string } => {
    if (src instanceof NixPath) return { file: src, text: readFileSync(src.abs, "utf8") };
    if (src instanceof Attrs && src.get("file") instanceof NixPath && typeof src.get("text") === "string") return { file: src.get("file") as NixPath, text: src.get("text") as string };
    throw new Unsupported(`unit source ${describeValue(src)} is neither a path nor a replaceLine record`);
  };
  return attrsOf({
    install: fn((files) => {
      const fields = new Map<string, Thunk>();
      for (const f of listOf(files)) {
        const { file, text } = source(f);
        const install = parseIni(text).Install ?? {};
        const words = (k: string): Value[] => (install[k] ?? "").split(/\s+/).filter(Boolean);
        fields.set(basename(file.abs), Thunk.of(attrsOf({ text, wantedBy: words("WantedBy"), requiredBy: words("RequiredBy"), upheldBy: words("UpheldBy"), source: file })));
      }
      return new Attrs(fields);
    }),
    replaceLine: fn((src) => fn2((prefix, line) => attrsOf(replaceUnitLine(source(src), String(prefix), String(line))))),
  });
}

/** replaceLine of nix/unit-files.nix on a unit's file and text. */
export function replaceUnitLine(src: { file: NixPath; text: string }, prefix: string, line: string): { file: NixPath; text: string } {
  const where = basename(src.file.abs);
  if (line.includes("\n")) throw new NixThrow(`nix/unit-files.nix: the ${where} line replacing \`${prefix}\` must be a single line`);
  const lines = src.text.split("\n");
  const hits = lines.filter((x) => x.startsWith(prefix)).length;
  if (hits !== 1) throw new NixThrow(`nix/unit-files.nix: ${where} has ${hits} lines starting with \`${prefix}\`, expected exactly one`);
  return { file: src.file, text: lines.map((x) => (x.startsWith(prefix) ? line : x)).join("\n") };
}

/** Can this definition body define `path`? Syntactic, so it needs no evaluation. */
function mayDefine(node: NixNode, path: string[]): boolean {
  if (path.length === 0) return true;
  if (node.k === "attrs") {
    if (node.attrs.some((b) => typeof b.name !== "string")) return true;
    const b = node.attrs.find((x) => x.name === path[0]);
    return b ? mayDefine(b.value, path.slice(1)) : node.inherits.some((i) => i.names.includes(path[0]!));
  }
  if (node.k === "call") {
    const name = calleeOf(node);
    if (name === "mkIf") return mayDefine(node.args[1]!, path);
    if (name === "mkMerge" && node.args[0]!.k === "list") return node.args[0]!.items.some((i) => mayDefine(i, path));
  }
  if (node.k === "let") return mayDefine(node.body, path);
  return true;
}

function calleeOf(node: NixNode & { k: "call" }): string | undefined {
  const f = node.fn;
  if (f.k === "var") return f.name;
  if (f.k === "select") {
    const last = f.path[f.path.length - 1];
    return typeof last === "string" ? last : undefined;
  }
  return undefined;
}

function unwrapAll(v: Value | undefined, file: string): Value | undefined {
  let cur = v;
  while (cur instanceof Wrapped) {
    if (cur.kind === "merge") throw new Unsupported(`${file}: selection through mkMerge of values`);
    if (cur.kind === "if" && !cur.cond) return undefined;
    cur = cur.content;
  }
  return cur;
}

/** builtins.replaceStrings: at each position the first matching `from` wins, left to right. */
export function replaceStrings(from: string[], to: string[], s: string): string {
  if (from.length !== to.length) throw new Unsupported("replaceStrings: lists of different lengths");
  let out = "";
  let i = 0;
  while (i <= s.length) {
    const k = from.findIndex((f) => s.startsWith(f, i));
    if (k >= 0 && from[k] !== "") {
      out += to[k];
      i += from[k]!.length;
    } else {
      if (k >= 0) out += to[k];
      if (i < s.length) out += s[i];
      i += 1;
    }
  }
  return out;
}

function missing(name: string): never {
  throw new Unsupported(`inherited attribute ${name} missing`);
}

function truthy(v: Value, where: string): boolean {
  if (typeof v !== "boolean") throw new Unsupported(`${where}: condition is ${describeValue(v)}, not a boolean`);
  return v;
}

function listOf(v: Value): Value[] {
  if (!Array.isArray(v)) throw new Unsupported(`expected a list, got ${describeValue(v)}`);
  return v;
}

/** JSON-able form of a value, for comparisons and test output. */
export function plain(v: Value | undefined): unknown {
  if (v instanceof Attrs) return Object.fromEntries(v.names().map((n) => [n, plain(v.get(n))]));
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Pkg) return { pkg: v.attr };
  if (v instanceof NixPath) return { path: v.abs };
  if (v instanceof ConfigRef) return { config: v.path.join(".") };
  if (v instanceof Wrapped || v instanceof Fn || v instanceof OptionDecl) return { unevaluated: v.constructor.name };
  return v;
}

function describeValue(v: Value | undefined): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  return typeof v === "object" ? v.constructor.name : typeof v;
}
function describe(n: NixNode): string {
  return n.k === "var" ? n.name : n.k === "select" ? `${describe(n.e)}.${n.path.join(".")}` : n.k;
}
