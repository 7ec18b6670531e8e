import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { getAttr, parseNixFile, walk, type NixNode } from "./nix-ast.js";

/**
 * Static fidelity of the Nix firmware definition: reads flake.nix and the modules
 * through `nix-instantiate --parse` (nix-ast.ts) and compares what they declare with
 * the repository's shared files and with the spec catalogue. Every check returns
 * findings naming a file and an attribute path; an empty list means it holds.
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

type Env = Map<string, NixNode>;

/** Bindings of a `let` or `rec { }` as an environment (later scopes shadow earlier ones). */
function extend(env: Env, node: NixNode): Env {
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
function resolveShape(node: NixNode, env: Env, depth = 0): NixNode | undefined {
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
function resolveString(node: NixNode, env: Env): string | undefined {
  const n = resolveShape(node, env) ?? node;
  if (n.k === "str") return n.v;
  if (n.k === "concat") {
    const parts = n.parts.map((p) => resolveString(p, env));
    return parts.every((p) => p !== undefined) ? parts.join("") : undefined;
  }
  return undefined;
}

function attrNames(node: NixNode | undefined): string[] {
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
export const SEED_PACKAGES = ["squashfs", "rauc-bundle", "boot-script", "image", "uboot", "uboot-env-tools"] as const;

export function checkFlakeOutputs(repo: NixRepo): Finding[] {
  const findings: Finding[] = [];
  const { env, outputs } = flakeView(repo);
  const at = (where: string, message: string): void => {
    findings.push({ file: "flake.nix", where, message });
  };
  const out = (path: string[]): NixNode | undefined => {
    let cur: NixNode | undefined = outputs;
    for (const p of path) {
      const shaped: NixNode | undefined = cur && resolveShape(cur, env);
      cur = shaped ? getAttr(shaped, [p]) : undefined;
    }
    return cur;
  };
  for (const name of ["rock64", "rock64-qemu"]) {
    if (!out(["nixosConfigurations", name])) at(`outputs.nixosConfigurations.${name}`, "not defined");
  }
  const linux = out(["packages", "aarch64-linux"]);
  const darwin = out(["packages", "aarch64-darwin"]);
  for (const [sys, node] of [["aarch64-linux", linux], ["aarch64-darwin", darwin]] as const) {
    const shape = node && resolveShape(node, env);
    if (!shape) {
      at(`outputs.packages.${sys}`, "not defined (or not a statically visible attribute set)");
      continue;
    }
    for (const p of SEED_PACKAGES) if (!getAttr(shape, [p])) at(`outputs.packages.${sys}.${p}`, "not defined");
  }
  // The Darwin alias must be the aarch64-linux package set itself, not a rebuild.
  const sameSet =
    linux && darwin && ((linux.k === "var" && darwin.k === "var" && linux.name === darwin.name) || (darwin.k === "select" && darwin.e.k === "var" && darwin.e.name === "self" && darwin.path.join(".") === "packages.aarch64-linux"));
  if (linux && darwin && !sameSet) at("outputs.packages.aarch64-darwin", "must refer to the aarch64-linux package set (same binding or self.packages.aarch64-linux)");
  for (const sys of ["aarch64-linux", "aarch64-darwin"]) if (!out(["checks", sys])) at(`outputs.checks.${sys}`, "not defined");
  if (!out(["apps", "aarch64-linux", "rock64-qemu-vm"])) at("outputs.apps.aarch64-linux.rock64-qemu-vm", "not defined");
  const shells = out(["devShells"]);
  const shellSystems = attrNames(shells && resolveShape(shells, env));
  if (shellSystems.length === 0) at("outputs.devShells", "no development shell defined");
  return findings;
}

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
function moduleConfig(node: NixNode): { body: NixNode; env: Env } {
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

// ---------------------------------------------------------------- runtime files

/** Path literals of the modules and derivations that name repository files (not Nix code). */
export function referencedFiles(repo: NixRepo, files: string[]): { file: string; where: string; target: string }[] {
  const refs: { file: string; where: string; target: string }[] = [];
  for (const file of files) {
    walk(repo.parse(file), (n, p) => {
      if (n.k === "path" && !n.v.endsWith(".nix") && p[p.length - 1] !== "imports") refs.push({ file, where: p.join(".") || "(top level)", target: repo.rel(n.v) });
    });
  }
  return refs;
}

/** Where shared runtime files live: the twin installs from device/, the image scripts from nix/scripts/. */
const SHARED_ROOTS = ["device/", "nix/scripts/"];

export function checkRuntimeFiles(repo: NixRepo): Finding[] {
  const findings: Finding[] = [];
  const modules = new Set([...configurationModules(repo, "rock64").files, ...configurationModules(repo, "rock64-qemu").files]);
  const derivations = readdirSync(repo.abs("nix")).filter((f) => f.endsWith(".nix")).map((f) => `nix/${f}`);
  const refs = referencedFiles(repo, [...modules, ...derivations]);
  const installedUnits = new Set<string>();
  for (const r of refs) {
    // certs/ holds build inputs (signing material), package.json etc. feed the npm builds.
    const buildInput = r.target.startsWith("certs/") || ["package.json", "package-lock.json", "tsconfig.json", "vitest.config.ts"].includes(r.target) || !r.target.includes("/") || !/\.[a-z]+$/.test(r.target.split("/").pop()!);
    if (!buildInput && !SHARED_ROOTS.some((root) => r.target.startsWith(root))) {
      findings.push({ file: r.file, where: r.where, message: `${r.target} is not a shared file (expected under ${SHARED_ROOTS.join(" or ")})` });
      continue;
    }
    if (r.target.startsWith("certs/dev/")) continue; // generated by certs/gen-dev-certs.sh, never committed
    if (!existsSync(repo.abs(r.target))) {
      findings.push({ file: r.file, where: r.where, message: `${r.target} does not exist` });
      continue;
    }
    if (r.target.startsWith("device/units/") && modules.has(r.file)) installedUnits.add(r.target);
  }
  // Both directions: every unit the twin ships is installed by a module.
  const unitDir = repo.abs("device/units");
  const twinUnits = existsSync(unitDir) ? readdirSync(unitDir).filter((f) => /\.(service|timer|socket|path|target|mount)$/.test(f)).map((f) => `device/units/${f}`) : [];
  for (const u of twinUnits) if (!installedUnits.has(u)) findings.push({ file: u, where: "(unit file)", message: "not installed by any module of nixosConfigurations.rock64/rock64-qemu" });
  findings.push(...checkExecPaths(repo, [...installedUnits], [...modules]));
  return findings;
}

/**
 * Units run the bundled runtime as `/usr/lib/atomicnix/device/<area>.mjs`: each such
 * area must be an entry device/build.ts bundles (device/<area>/main.ts), and the
 * modules must provide that path (the tmpfiles link into the runtime package).
 */
function checkExecPaths(repo: NixRepo, units: string[], modules: string[]): Finding[] {
  const findings: Finding[] = [];
  let needsLink = false;
  for (const unit of units) {
    const text = readFileSync(repo.abs(unit), "utf8");
    text.split("\n").forEach((line, i) => {
      if (!/^\s*Exec[A-Za-z]*\s*=/.test(line)) return;
      for (const m of line.matchAll(/\/usr\/lib\/atomicnix\/device\/([a-z0-9-]+)\.mjs/g)) {
        needsLink = true;
        if (!existsSync(repo.abs(`device/${m[1]}/main.ts`))) findings.push({ file: `${unit}:${i + 1}`, where: "Exec", message: `runs ${m[0]} but device/${m[1]}/main.ts (the bundle's entry) does not exist` });
      }
    });
  }
  if (needsLink) {
    const links = definitionsAt(repo, modules, ["systemd", "tmpfiles", "settings", "10-atomicnix-runtime", "/usr/lib/atomicnix", "L+", "argument"]);
    if (links.length === 0) findings.push({ file: "modules/base.nix", where: "systemd.tmpfiles.settings", message: "no /usr/lib/atomicnix link to the runtime package, which the unit files execute" });
  }
  return findings;
}

// ---------------------------------------------------------------- kernel

export type KernelValue = "y" | "m" | "n";

/** Symbol -> value over every boot.kernelPatches entry of the given modules. */
export function kernelConfig(repo: NixRepo, files: string[]): { values: Map<string, { value: KernelValue; file: string }>; findings: Finding[] } {
  const values = new Map<string, { value: KernelValue; file: string }>();
  const findings: Finding[] = [];
  for (const d of definitionsAt(repo, files, ["boot", "kernelPatches"])) {
    const list = unwrapPriority(d.value);
    if (list.k !== "list") continue;
    for (const item of list.items) {
      let cfg = getAttr(item, ["structuredExtraConfig"]) ?? getAttr(item, ["extraStructuredConfig"]);
      if (!cfg) continue;
      while (cfg.k === "with") cfg = cfg.body;
      if (cfg.k !== "attrs") {
        findings.push({ file: d.file, where: "boot.kernelPatches.structuredExtraConfig", message: "not a literal attribute set" });
        continue;
      }
      for (const b of cfg.attrs) {
        if (typeof b.name !== "string") continue;
        const v = unwrapPriority(b.value);
        const word = calleeName(v);
        const value: KernelValue | undefined = word === "yes" ? "y" : word === "module" ? "m" : word === "no" ? "n" : undefined;
        if (!value) {
          findings.push({ file: d.file, where: `structuredExtraConfig.${b.name}`, message: "value is not lib.kernel.yes/module/no" });
          continue;
        }
        const prev = values.get(b.name);
        if (prev && prev.value !== value) findings.push({ file: d.file, where: `structuredExtraConfig.${b.name}`, message: `=${value} here but =${prev.value} in ${prev.file}` });
        values.set(b.name, { value, file: d.file });
      }
    }
  }
  return { values, findings };
}

/** Reads the `=y` / `=m` / `not set` symbol lists out of scenario build.kernel.config. */
export function kernelRequirements(repo: NixRepo): Map<string, KernelValue> {
  const req = new Map<string, KernelValue>();
  for (const step of repo.scenario("build.kernel.config").steps) {
    const symbols = [...step.text.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!);
    const value: KernelValue | undefined = /`=y`/.test(step.text) ? "y" : /`=m`/.test(step.text) ? "m" : /not set/.test(step.text) ? "n" : undefined;
    if (value) for (const s of symbols) req.set(s, value);
  }
  return req;
}

export function checkKernelConfig(repo: NixRepo): Finding[] {
  const { files } = configurationModules(repo, "rock64");
  const { values, findings } = kernelConfig(repo, files);
  const req = kernelRequirements(repo);
  if (req.size === 0) findings.push({ file: "specs/build-artifacts/spec.md", where: "build.kernel.config", message: "no kernel symbols found in the scenario" });
  for (const [sym, want] of req) {
    const got = values.get(sym);
    if (!got) findings.push({ file: "modules/kernel-config.nix", where: `structuredExtraConfig.${sym}`, message: `not declared for nixosConfigurations.rock64 (spec wants ${want === "n" ? "not set" : `=${want}`})` });
    else if (got.value !== want) findings.push({ file: got.file, where: `structuredExtraConfig.${sym}`, message: `=${got.value}, spec wants ${want === "n" ? "not set" : `=${want}`}` });
  }
  return findings;
}

// ---------------------------------------------------------------- closure options

function literal(n: NixNode): string {
  const v = unwrapPriority(n);
  if (v.k === "var") return v.name;
  if (v.k === "str") return JSON.stringify(v.v);
  if (v.k === "list") return v.items.length === 0 ? "[ ]" : "[...]";
  return v.k;
}

export function checkClosureOptions(repo: NixRepo): Finding[] {
  const findings: Finding[] = [];
  const { files } = configurationModules(repo, "rock64");
  const expect = (path: string[], want: string): void => {
    const defs = definitionsAt(repo, files, path);
    if (defs.length === 0) findings.push({ file: "modules/base.nix", where: path.join("."), message: `not set (must be ${want})` });
    for (const d of defs) if (literal(d.value) !== want) findings.push({ file: d.file, where: path.join("."), message: `is ${literal(d.value)}, must be ${want}` });
  };
  expect(["nix", "enable"], "false");
  expect(["security", "sudo", "enable"], "false");
  expect(["documentation", "enable"], "false");
  expect(["documentation", "man", "enable"], "false");
  expect(["environment", "defaultPackages"], "[ ]");
  // crun without CRIU: nixpkgs' crun links -lcriu unconditionally, so the overlay must
  // drop both the input and the flag (`override { criu = null; }` fails to link).
  const { env } = flakeView(repo);
  const { inline } = configurationModules(repo, "rock64");
  let overlayApplied = false;
  let dropsInput = false;
  let dropsFlag = false;
  let nullOverride = false;
  for (const m of inline) {
    const overlays = getAttr(m, ["nixpkgs", "overlays"]);
    if (!overlays || overlays.k !== "list") continue;
    for (const o of overlays.items) {
      const fn = o.k === "var" ? env.get(o.name) : o;
      if (fn?.k !== "lambda") continue;
      overlayApplied = true;
      walk(fn, (n, p) => {
        if (!p.includes("crun")) return;
        if (n.k === "call" && calleeName(n.fn) === "override" && getAttr(n.args[0], ["criu"])) nullOverride = true;
        if (n.k === "str" && n.v === "criu") dropsInput = true;
        if (n.k === "str" && n.v === "-lcriu") dropsFlag = true;
      });
    }
  }
  if (!overlayApplied) findings.push({ file: "flake.nix", where: "rock64Modules", message: "no overlay module applied" });
  if (nullOverride) findings.push({ file: "flake.nix", where: "embeddedOverlay.crun", message: "override { criu = null; } leaves -lcriu in crun's link flags and fails to link" });
  if (!dropsInput || !dropsFlag) findings.push({ file: "flake.nix", where: "embeddedOverlay.crun", message: "crun does not drop criu from its inputs and -lcriu from its link flags" });
  return findings;
}

// ---------------------------------------------------------------- watchdog

const WATCHDOG_KEYS = ["RuntimeWatchdogSec", "RebootWatchdogSec", "RuntimeWatchdogPreSec", "KExecWatchdogSec"];

export function checkWatchdogUnset(repo: NixRepo): Finding[] {
  const findings: Finding[] = [];
  const { files } = configurationModules(repo, "rock64");
  for (const file of files) {
    walk(repo.parse(file), (n, p) => {
      const last = p[p.length - 1];
      if (last && WATCHDOG_KEYS.includes(last)) findings.push({ file, where: p.join("."), message: `${last} is set; the current release leaves it unset (wdog.unset)` });
      if (p.join(".").match(/systemd\.watchdog\.(runtimeTime|rebootTime|kexecTime|device)$/)) findings.push({ file, where: p.join("."), message: "systemd.watchdog options arm PID 1's watchdog; leave them unset" });
      if (n.k === "str" && WATCHDOG_KEYS.some((k) => new RegExp(`(^|\\n)\\s*${k}\\s*=`).test(n.v))) findings.push({ file, where: p.join(".") || "(string)", message: "a configuration string sets a watchdog key" });
    });
  }
  // The deferred target stays documented next to the unset settings.
  const text = readFileSync(repo.abs("modules/watchdog.nix"), "utf8");
  const comments = text.split("\n").filter((l) => l.trim().startsWith("#")).join("\n");
  if (!/RuntimeWatchdogSec\s*=\s*"30s"/.test(comments) || !/RebootWatchdogSec\s*=\s*"10min"/.test(comments)) {
    findings.push({ file: "modules/watchdog.nix", where: "(comments)", message: 'the deferred target RuntimeWatchdogSec = "30s" / RebootWatchdogSec = "10min" is not documented in a comment' });
  }
  return findings;
}

// ---------------------------------------------------------------- RAUC slot map

/** `[slot.boot.0]` -> `device=/dev/mmcblk1p1` etc., from scenario rauc.slots.config. */
export function specSlotDevices(repo: NixRepo): Map<string, string> {
  const map = new Map<string, string>();
  for (const step of repo.scenario("rauc.slots.config").steps) {
    const m = /`\[slot\.([a-z]+)\.(\d)\]` has `device=([^`]+)`/.exec(step.text);
    if (m) map.set(`${m[1]}.${m[2]}`, m[3]!);
  }
  return map;
}

export function checkSlotMap(repo: NixRepo): Finding[] {
  const findings: Finding[] = [];
  const want = specSlotDevices(repo);
  if (want.size !== 4) findings.push({ file: "specs/rauc-integration/spec.md", where: "rauc.slots.config", message: `expected 4 slot devices in the scenario, found ${want.size}` });
  const file = "modules/hardware-rock64.nix";
  const node = repo.parse(file);
  const lambdaBody = node.k === "lambda" ? node.body : node;
  let env: Env = new Map();
  let body = lambdaBody;
  while (body.k === "let") {
    env = extend(env, body);
    body = body.body;
  }
  const optionOf = (slot: string): string => slot.replace(".", "");
  for (const [slot, device] of want) {
    const def = getAttr(body, ["atomicnix", "rauc", "slots", optionOf(slot)]);
    const got = def && resolveString(unwrapPriority(def), env);
    if (got !== device) findings.push({ file, where: `atomicnix.rauc.slots.${optionOf(slot)}`, message: `is ${got ?? "(not a literal)"}, partition-layout/rauc-integration want ${device}` });
  }
  // rauc.nix must put each option into the matching system.conf section.
  const rauc = moduleConfig(repo.parse("modules/rauc.nix"));
  const conf = definitionsAt(repo, ["modules/rauc.nix"], ["environment", "etc", "rauc/system.conf", "text"])[0];
  const parts = conf && conf.value.k === "concat" ? conf.value.parts : [];
  void rauc;
  for (const slot of want.keys()) {
    const idx = parts.findIndex((p) => p.k === "str" && p.v.includes(`[slot.${slot}]\ndevice=`) && p.v.trimEnd().endsWith("device="));
    const next = idx >= 0 ? parts[idx + 1] : undefined;
    const ok = next?.k === "select" && next.path.join(".") === `slots.${optionOf(slot)}`;
    if (!ok) findings.push({ file: "modules/rauc.nix", where: 'environment.etc."rauc/system.conf".text', message: `[slot.${slot}] device= is not atomicnix.rauc.slots.${optionOf(slot)}` });
  }
  return findings;
}

// ---------------------------------------------------------------- image name

export function checkReleaseSeries(repo: NixRepo): Finding[] {
  const findings: Finding[] = [];
  const view = flakeView(repo);
  if (view.inputsUrl !== "github:NixOS/nixpkgs/nixos-25.11") findings.push({ file: "flake.nix", where: "inputs.nixpkgs.url", message: `is ${view.inputsUrl ?? "(unset)"}` });
  const state = definitionsAt(repo, ["modules/base.nix"], ["system", "stateVersion"])[0];
  if (!state || !(state.value.k === "var" && state.value.name === "releaseSeries") && !(state.value.k === "str" && state.value.v === "25.11")) {
    findings.push({ file: "modules/base.nix", where: "system.stateVersion", message: "must be the release series (25.11)" });
  }
  const series = view.env.get("releaseSeries");
  const seriesOk = series && JSON.stringify(series).includes('"release"');
  if (!seriesOk) findings.push({ file: "flake.nix", where: "releaseSeries", message: "is not derived from the nixpkgs release (lib.trivial.release)" });
  const image = repo.parse("nix/image.nix");
  let literal25 = false;
  let nameFromSeries = false;
  walk(image, (n, p) => {
    if (n.k === "str" && n.v.includes("25.11")) literal25 = true;
    if (p[p.length - 1] === "imageName" && n.k === "concat" && n.parts.some((x) => x.k === "var" && x.name === "releaseSeries")) nameFromSeries = true;
  });
  if (literal25) findings.push({ file: "nix/image.nix", where: "(strings)", message: "holds a literal 25.11; the image name must come from the release series" });
  if (!nameFromSeries) findings.push({ file: "nix/image.nix", where: "imageName", message: 'is not "atomicnix-${releaseSeries}.img"' });
  return findings;
}

/** flake.lock: well-formed, nixpkgs locked to a GitHub revision of the pinned branch. */
export function readFlakeLock(repo: NixRepo): { rev?: string; ref?: string; narHash?: string; findings: Finding[] } {
  const findings: Finding[] = [];
  const lock = JSON.parse(readFileSync(repo.abs("flake.lock"), "utf8")) as {
    version?: number;
    root?: string;
    nodes?: Record<string, { inputs?: Record<string, string>; locked?: Record<string, unknown>; original?: Record<string, unknown> }>;
  };
  const f = (where: string, message: string): void => {
    findings.push({ file: "flake.lock", where, message });
  };
  if (lock.version !== 7) f("version", `is ${lock.version}, expected 7`);
  const root = lock.nodes?.[lock.root ?? ""];
  const nodeName = root?.inputs?.nixpkgs;
  const node = nodeName ? lock.nodes?.[nodeName] : undefined;
  if (!node) {
    f("nodes", "no nixpkgs input reachable from the root node");
    return { findings };
  }
  const locked = node.locked ?? {};
  const original = node.original ?? {};
  if (locked.type !== "github" || locked.owner !== "NixOS" || locked.repo !== "nixpkgs") f("nodes.nixpkgs.locked", "is not github:NixOS/nixpkgs");
  if (typeof locked.rev !== "string" || !/^[0-9a-f]{40}$/.test(locked.rev)) f("nodes.nixpkgs.locked.rev", "is not a 40-hex revision");
  if (typeof locked.narHash !== "string" || !/^sha256-[A-Za-z0-9+/]{43}=$/.test(locked.narHash)) f("nodes.nixpkgs.locked.narHash", "is not an SRI sha256 hash");
  if (original.ref !== "nixos-25.11") f("nodes.nixpkgs.original.ref", `is ${String(original.ref)}, expected nixos-25.11`);
  return { rev: locked.rev as string, ref: original.ref as string, narHash: locked.narHash as string, findings };
}

/** lib.fakeHash: the marked placeholder written where Nix could not compute the real hash. */
export const FAKE_HASH = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

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
