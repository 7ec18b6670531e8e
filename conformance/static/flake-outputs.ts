import { getAttr, type NixNode } from "./nix-ast.js";
import { type Finding, type NixRepo, attrNames, flakeView, resolveShape } from "./nix-repo.js";

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
