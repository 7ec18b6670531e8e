import { readFileSync } from "node:fs";
import { walk } from "./nix-ast.js";
import { type Finding, type NixRepo, definitionsAt, flakeView } from "./nix-repo.js";


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
