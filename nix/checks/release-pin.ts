import { readFileSync } from "node:fs";
import { some } from "./nix-ast.js";
import { type Finding, type NixRepo, definitionsAt, findingsFor, flakeView } from "./repo.js";

/** The nixos-25.11 pin: the input URL, stateVersion and the image name follow the release series. */
export function checkReleaseSeries(repo: NixRepo): Finding[] {
  const { findings, add } = findingsFor("flake.nix");
  const view = flakeView(repo);
  if (view.inputsUrl !== "github:NixOS/nixpkgs/nixos-25.11") add("inputs.nixpkgs.url", `is ${view.inputsUrl ?? "(unset)"}`);
  const state = definitionsAt(repo, ["modules/base.nix"], ["system", "stateVersion"])[0]?.value;
  if (!(state?.k === "var" && state.name === "releaseSeries") && !(state?.k === "str" && state.v === "25.11")) add("system.stateVersion", "must be the release series (25.11)", "modules/base.nix");
  if (!JSON.stringify(view.env.get("releaseSeries") ?? null).includes('"release"')) add("releaseSeries", "is not derived from the nixpkgs release (lib.trivial.release)");
  const image = repo.parse("nix/image.nix");
  if (some(image, (n) => n.k === "str" && n.v.includes("25.11"))) add("(strings)", "holds a literal 25.11; the image name must come from the release series", "nix/image.nix");
  if (!some(image, (n, p) => p.at(-1) === "imageName" && n.k === "concat" && n.parts.some((x) => x.k === "var" && x.name === "releaseSeries"))) add("imageName", 'is not "atomicnix-${releaseSeries}.img"', "nix/image.nix");
  return findings;
}

/** lib.fakeHash: the placeholder written where Nix could not compute the real hash. */
export const FAKE_HASH = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

type LockNode = { inputs?: Record<string, string>; locked?: Record<string, unknown>; original?: Record<string, unknown> };

/** flake.lock: well-formed, nixpkgs locked to a GitHub revision of the pinned branch. */
export function readFlakeLock(repo: NixRepo): { ref?: string; narHash?: string; findings: Finding[] } {
  const { findings, add: f } = findingsFor("flake.lock");
  const lock = JSON.parse(readFileSync(repo.abs("flake.lock"), "utf8")) as { version?: number; root?: string; nodes?: Record<string, LockNode> };
  if (lock.version !== 7) f("version", `is ${lock.version}, expected 7`);
  const name = lock.nodes?.[lock.root ?? ""]?.inputs?.nixpkgs;
  const node = name ? lock.nodes?.[name] : undefined;
  if (!node) return f("nodes", "no nixpkgs input reachable from the root node"), { findings };
  const locked = node.locked ?? {};
  const ref = node.original?.ref;
  if (locked.type !== "github" || locked.owner !== "NixOS" || locked.repo !== "nixpkgs") f("nodes.nixpkgs.locked", "is not github:NixOS/nixpkgs");
  if (typeof locked.rev !== "string" || !/^[0-9a-f]{40}$/.test(locked.rev)) f("nodes.nixpkgs.locked.rev", "is not a 40-hex revision");
  if (typeof locked.narHash !== "string" || !/^sha256-[A-Za-z0-9+/]{43}=$/.test(locked.narHash)) f("nodes.nixpkgs.locked.narHash", "is not an SRI sha256 hash");
  if (ref !== "nixos-25.11") f("nodes.nixpkgs.original.ref", `is ${String(ref)}, expected nixos-25.11`);
  return { ref: ref as string, narHash: locked.narHash as string, findings };
}
