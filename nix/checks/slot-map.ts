import { getAttr } from "./nix-ast.js";
import { type Finding, type NixRepo, definitionsAt, literalString, moduleConfig, unwrapPriority } from "./repo.js";

/** `[slot.boot.0]` -> `/dev/mmcblk1p1` etc., from scenario rauc.slots.config. */
function specSlotDevices(repo: NixRepo): Map<string, string> {
  const map = new Map<string, string>();
  for (const { text } of repo.scenario("rauc.slots.config").steps) {
    const m = /`\[slot\.([a-z]+)\.(\d)\]` has `device=([^`]+)`/.exec(text);
    if (m) map.set(`${m[1]}.${m[2]}`, m[3]!);
  }
  return map;
}

/** hardware-rock64.nix sets each slot device the spec names, and rauc.nix writes each into its system.conf section. */
export function checkSlotMap(repo: NixRepo): Finding[] {
  const findings: Finding[] = [];
  const want = specSlotDevices(repo);
  if (want.size !== 4) findings.push({ file: "specs/rauc-integration/spec.md", where: "rauc.slots.config", message: `expected 4 slot devices in the scenario, found ${want.size}` });
  const file = "modules/hardware-rock64.nix";
  const { body, env } = moduleConfig(repo.parse(file));
  const conf = definitionsAt(repo, ["modules/rauc.nix"], ["environment", "etc", "rauc/system.conf", "text"])[0]?.value;
  const parts = conf?.k === "concat" ? conf.parts : [];
  for (const [slot, device] of want) {
    const option = slot.replace(".", "");
    const def = getAttr(body, ["atomicnix", "rauc", "slots", option]);
    const got = def && literalString(unwrapPriority(def), env);
    if (got !== device) findings.push({ file, where: `atomicnix.rauc.slots.${option}`, message: `is ${got ?? "(not a literal)"}, partition-layout/rauc-integration want ${device}` });
    const idx = parts.findIndex((p) => p.k === "str" && p.v.includes(`[slot.${slot}]\ndevice=`) && p.v.trimEnd().endsWith("device="));
    const next = parts[idx + 1];
    if (idx < 0 || next?.k !== "select" || next.path.join(".") !== `slots.${option}`) findings.push({ file: "modules/rauc.nix", where: 'environment.etc."rauc/system.conf".text', message: `[slot.${slot}] device= is not atomicnix.rauc.slots.${option}` });
  }
  return findings;
}
