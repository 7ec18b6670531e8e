import { calleeName, getAttr, some, type NixNode } from "./nix-ast.js";
import { type Finding, type NixRepo, configurationModules, definitionsAt, findingsFor, flakeView, unwrapPriority } from "./repo.js";

const OPTIONS = [["nix.enable", "false"], ["security.sudo.enable", "false"], ["documentation.enable", "false"], ["documentation.man.enable", "false"], ["environment.defaultPackages", "[ ]"]] as const;

/**
 * The closure reductions rock64's modules write (no Nix, sudo, documentation or
 * default packages), and an overlay that drops criu from crun: nixpkgs' crun links
 * -lcriu unconditionally, so the input and the flag both go (`override { criu =
 * null; }` fails to link). Whether the overlay builds, only a Nix build shows.
 */
export function checkClosureOptions(repo: NixRepo): Finding[] {
  const { findings, add } = findingsFor("flake.nix");
  const { files, inline } = configurationModules(repo, "rock64");
  // The literal as Nix prints it (`false`, `[ ]`), else the node kind.
  const literal = (node: NixNode): string => {
    const v = unwrapPriority(node);
    return v.k === "var" ? v.name : v.k === "str" ? JSON.stringify(v.v) : v.k === "list" && v.items.length === 0 ? "[ ]" : v.k;
  };
  for (const [path, want] of OPTIONS) {
    const defs = definitionsAt(repo, files, path.split("."));
    if (defs.length === 0) add(path, `not set (must be ${want})`, "modules/base.nix");
    for (const d of defs) if (literal(d.value) !== want) add(path, `is ${literal(d.value)}, must be ${want}`, d.file);
  }
  const { env } = flakeView(repo);
  const listed = inline.map((m) => getAttr(m, ["nixpkgs", "overlays"])).flatMap((l) => (l?.k === "list" ? l.items : []));
  const overlays = listed.map((o) => (o.k === "var" ? env.get(o.name) : o)).filter((o) => o?.k === "lambda");
  const inCrun = (test: (n: NixNode) => boolean): boolean => overlays.some((fn) => some(fn, (n, p) => p.includes("crun") && test(n)));
  const where = "embeddedOverlay.crun";
  if (overlays.length === 0) add("rock64Modules", "no overlay module applied");
  if (inCrun((n) => n.k === "call" && calleeName(n.fn) === "override" && !!getAttr(n.args[0], ["criu"]))) add(where, "override { criu = null; } leaves -lcriu in crun's link flags and fails to link");
  if (!inCrun((n) => n.k === "str" && n.v === "criu") || !inCrun((n) => n.k === "str" && n.v === "-lcriu")) add(where, "crun does not drop criu from its inputs and -lcriu from its link flags");
  return findings;
}
