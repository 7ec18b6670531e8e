import { getAttr, walk, type NixNode } from "./nix-ast.js";
import { type Finding, type NixRepo, calleeName, configurationModules, definitionsAt, flakeView, unwrapPriority } from "./repo.js";

const listItems = (n: NixNode | undefined): NixNode[] => (n?.k === "list" ? n.items : []);

/** The literal our modules write, as Nix prints it (`false`, `[ ]`), else the node kind. */
function literal(node: NixNode): string {
  const v = unwrapPriority(node);
  return v.k === "var" ? v.name : v.k === "str" ? JSON.stringify(v.v) : v.k === "list" && v.items.length === 0 ? "[ ]" : v.k;
}

/**
 * The closure reductions rock64's modules write (no Nix, sudo, documentation or
 * default packages), and an overlay that drops criu from crun: nixpkgs' crun links
 * -lcriu unconditionally, so the input and the flag both go (`override { criu =
 * null; }` fails to link). Whether the overlay builds, only a Nix build shows.
 */
export function checkClosureOptions(repo: NixRepo): Finding[] {
  const findings: Finding[] = [];
  const { files, inline } = configurationModules(repo, "rock64");
  for (const [path, want] of [["nix.enable", "false"], ["security.sudo.enable", "false"], ["documentation.enable", "false"], ["documentation.man.enable", "false"], ["environment.defaultPackages", "[ ]"]] as const) {
    const defs = definitionsAt(repo, files, path.split("."));
    if (defs.length === 0) findings.push({ file: "modules/base.nix", where: path, message: `not set (must be ${want})` });
    for (const d of defs) if (literal(d.value) !== want) findings.push({ file: d.file, where: path, message: `is ${literal(d.value)}, must be ${want}` });
  }
  const { env } = flakeView(repo);
  const seen = { overlay: false, input: false, flag: false, nullOverride: false };
  for (const o of inline.flatMap((m) => listItems(getAttr(m, ["nixpkgs", "overlays"])))) {
    const fn = o.k === "var" ? env.get(o.name) : o;
    if (fn?.k !== "lambda") continue;
    seen.overlay = true;
    walk(fn, (n, p) => {
      if (!p.includes("crun")) return;
      seen.nullOverride ||= n.k === "call" && calleeName(n.fn) === "override" && !!getAttr(n.args[0], ["criu"]);
      seen.input ||= n.k === "str" && n.v === "criu";
      seen.flag ||= n.k === "str" && n.v === "-lcriu";
    });
  }
  const at = (message: string): number => findings.push({ file: "flake.nix", where: "embeddedOverlay.crun", message });
  if (!seen.overlay) findings.push({ file: "flake.nix", where: "rock64Modules", message: "no overlay module applied" });
  if (seen.nullOverride) at("override { criu = null; } leaves -lcriu in crun's link flags and fails to link");
  if (!seen.input || !seen.flag) at("crun does not drop criu from its inputs and -lcriu from its link flags");
  return findings;
}
