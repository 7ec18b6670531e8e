import { getAttr } from "./nix-ast.js";
import { type Env, type Finding, type NixRepo, definitionsAt, extend, moduleConfig, resolveString, unwrapPriority } from "./nix-repo.js";


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
