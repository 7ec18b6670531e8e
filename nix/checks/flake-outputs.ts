import { calleeName, getAttr, type NixNode } from "./nix-ast.js";
import { type Env, type Finding, type NixRepo, findingsFor, flakeView } from "./repo.js";

/** The package names the seed's Flake Outputs chapter lists (build.flake-outputs.names). */
const SEED_PACKAGES = ["squashfs", "rauc-bundle", "boot-script", "image", "uboot", "uboot-env-tools"] as const;

/** A set as written: a let-bound name is followed, `lib.genAttrs [ names ] f` gives those names. */
function shape(node: NixNode | undefined, env: Env, depth = 0): NixNode | undefined {
  if (!node || depth > 20) return undefined;
  if (node.k === "var") return shape(env.get(node.name), env, depth + 1);
  if (node.k === "call" && calleeName(node.fn) === "genAttrs") {
    const names = shape(node.args[0], env, depth + 1);
    if (names?.k !== "list") return undefined;
    const attrs = names.items.flatMap((i) => (i.k === "str" ? [{ name: i.v, value: node.args[1]! }] : []));
    return { k: "attrs", attrs, inherits: [] };
  }
  return node;
}

/** nixosConfigurations, packages, checks, apps and devShells the seed names are defined in flake.nix. */
export function checkFlakeOutputs(repo: NixRepo): Finding[] {
  const { findings, add: at } = findingsFor("flake.nix");
  const { env, outputs } = flakeView(repo);
  const out = (path: string[]): NixNode | undefined => path.reduce<NixNode | undefined>((cur, p) => getAttr(shape(cur, env), [p]), outputs);
  for (const name of ["rock64", "rock64-qemu"]) if (!out(["nixosConfigurations", name])) at(`outputs.nixosConfigurations.${name}`, "not defined");
  const linux = out(["packages", "aarch64-linux"]);
  const darwin = out(["packages", "aarch64-darwin"]);
  for (const [sys, node] of [["aarch64-linux", linux], ["aarch64-darwin", darwin]] as const) {
    const set = shape(node, env);
    if (set?.k !== "attrs") at(`outputs.packages.${sys}`, "not defined (or not a set written in flake.nix)");
    else for (const p of SEED_PACKAGES) if (!getAttr(set, [p])) at(`outputs.packages.${sys}.${p}`, "not defined");
  }
  // The Darwin alias is the aarch64-linux package set itself, not a rebuild.
  const same = linux?.k === "var" && darwin?.k === "var" && linux.name === darwin.name;
  const viaSelf = darwin?.k === "select" && darwin.e.k === "var" && darwin.e.name === "self" && darwin.path.join(".") === "packages.aarch64-linux";
  if (linux && darwin && !same && !viaSelf) at("outputs.packages.aarch64-darwin", "must refer to the aarch64-linux package set (same binding or self.packages.aarch64-linux)");
  for (const sys of ["aarch64-linux", "aarch64-darwin"]) if (!out(["checks", sys])) at(`outputs.checks.${sys}`, "not defined");
  if (!out(["apps", "aarch64-linux", "rock64-qemu-vm"])) at("outputs.apps.aarch64-linux.rock64-qemu-vm", "not defined");
  const shells = shape(out(["devShells"]), env);
  if (shells?.k !== "attrs" || shells.attrs.length + shells.inherits.length === 0) at("outputs.devShells", "no development shell defined");
  return findings;
}
