import { calleeName, getAttr } from "./nix-ast.js";
import { type Finding, type NixRepo, configurationModules, definitionsAt, unwrapPriority } from "./repo.js";

type KernelValue = "y" | "m" | "n";
const WORDS: Record<string, KernelValue> = { yes: "y", module: "m", no: "n" };
const show = (v: KernelValue): string => (v === "n" ? "not set" : `=${v}`);

/** Symbol -> value over every boot.kernelPatches entry of the given modules (structuredExtraConfig). */
export function kernelConfig(repo: NixRepo, files: string[]): { values: Map<string, { value: KernelValue; file: string }>; findings: Finding[] } {
  const values = new Map<string, { value: KernelValue; file: string }>();
  const findings: Finding[] = [];
  for (const d of definitionsAt(repo, files, ["boot", "kernelPatches"])) {
    const list = unwrapPriority(d.value);
    for (const item of list.k === "list" ? list.items : []) {
      let cfg = getAttr(item, ["structuredExtraConfig"]) ?? getAttr(item, ["extraStructuredConfig"]);
      while (cfg?.k === "op" && cfg.op === "with") cfg = cfg.args[1];
      if (cfg && cfg.k !== "attrs") findings.push({ file: d.file, where: "boot.kernelPatches.structuredExtraConfig", message: "not a literal attribute set" });
      for (const b of cfg?.k === "attrs" ? cfg.attrs : []) {
        const value = WORDS[calleeName(unwrapPriority(b.value)) ?? ""];
        const prev = values.get(b.name);
        if (!value) findings.push({ file: d.file, where: `structuredExtraConfig.${b.name}`, message: "value is not lib.kernel.yes/module/no" });
        else if (prev && prev.value !== value) findings.push({ file: d.file, where: `structuredExtraConfig.${b.name}`, message: `=${value} here but =${prev.value} in ${prev.file}` });
        if (value) values.set(b.name, { value, file: d.file });
      }
    }
  }
  return { values, findings };
}

/** The `=y` / `=m` / `not set` symbol lists of scenario build.kernel.config. */
export function kernelRequirements(repo: NixRepo): Map<string, KernelValue> {
  const req = new Map<string, KernelValue>();
  for (const { text } of repo.scenario("build.kernel.config").steps) {
    const value: KernelValue | undefined = /`=y`/.test(text) ? "y" : /`=m`/.test(text) ? "m" : /not set/.test(text) ? "n" : undefined;
    if (value) for (const m of text.matchAll(/`([A-Z0-9_]+)`/g)) req.set(m[1]!, value);
  }
  return req;
}

/** Every symbol the scenario names is declared for rock64 with the value it wants, none twice differently. */
export function checkKernelConfig(repo: NixRepo): Finding[] {
  const { values, findings } = kernelConfig(repo, configurationModules(repo, "rock64").files);
  const req = kernelRequirements(repo);
  if (req.size === 0) findings.push({ file: "specs/build-artifacts/spec.md", where: "build.kernel.config", message: "no kernel symbols found in the scenario" });
  for (const [sym, want] of req) {
    const got = values.get(sym);
    if (!got) findings.push({ file: "modules/kernel-config.nix", where: `structuredExtraConfig.${sym}`, message: `not declared for nixosConfigurations.rock64 (spec wants ${show(want)})` });
    else if (got.value !== want) findings.push({ file: got.file, where: `structuredExtraConfig.${sym}`, message: `=${got.value}, spec wants ${show(want)}` });
  }
  return findings;
}
