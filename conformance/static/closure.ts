import { getAttr, walk, type NixNode } from "./nix-ast.js";
import { type Finding, type NixRepo, calleeName, configurationModules, definitionsAt, flakeView, unwrapPriority } from "./nix-repo.js";


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
