import { getAttr } from "./nix-ast.js";
import { type Finding, type NixRepo, calleeName, configurationModules, definitionsAt, unwrapPriority } from "./nix-repo.js";


export type KernelValue = "y" | "m" | "n";

/** Symbol -> value over every boot.kernelPatches entry of the given modules. */
export function kernelConfig(repo: NixRepo, files: string[]): { values: Map<string, { value: KernelValue; file: string }>; findings: Finding[] } {
  const values = new Map<string, { value: KernelValue; file: string }>();
  const findings: Finding[] = [];
  for (const d of definitionsAt(repo, files, ["boot", "kernelPatches"])) {
    const list = unwrapPriority(d.value);
    if (list.k !== "list") continue;
    for (const item of list.items) {
      let cfg = getAttr(item, ["structuredExtraConfig"]) ?? getAttr(item, ["extraStructuredConfig"]);
      if (!cfg) continue;
      while (cfg.k === "with") cfg = cfg.body;
      if (cfg.k !== "attrs") {
        findings.push({ file: d.file, where: "boot.kernelPatches.structuredExtraConfig", message: "not a literal attribute set" });
        continue;
      }
      for (const b of cfg.attrs) {
        if (typeof b.name !== "string") continue;
        const v = unwrapPriority(b.value);
        const word = calleeName(v);
        const value: KernelValue | undefined = word === "yes" ? "y" : word === "module" ? "m" : word === "no" ? "n" : undefined;
        if (!value) {
          findings.push({ file: d.file, where: `structuredExtraConfig.${b.name}`, message: "value is not lib.kernel.yes/module/no" });
          continue;
        }
        const prev = values.get(b.name);
        if (prev && prev.value !== value) findings.push({ file: d.file, where: `structuredExtraConfig.${b.name}`, message: `=${value} here but =${prev.value} in ${prev.file}` });
        values.set(b.name, { value, file: d.file });
      }
    }
  }
  return { values, findings };
}

/** Reads the `=y` / `=m` / `not set` symbol lists out of scenario build.kernel.config. */
export function kernelRequirements(repo: NixRepo): Map<string, KernelValue> {
  const req = new Map<string, KernelValue>();
  for (const step of repo.scenario("build.kernel.config").steps) {
    const symbols = [...step.text.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!);
    const value: KernelValue | undefined = /`=y`/.test(step.text) ? "y" : /`=m`/.test(step.text) ? "m" : /not set/.test(step.text) ? "n" : undefined;
    if (value) for (const s of symbols) req.set(s, value);
  }
  return req;
}

export function checkKernelConfig(repo: NixRepo): Finding[] {
  const { files } = configurationModules(repo, "rock64");
  const { values, findings } = kernelConfig(repo, files);
  const req = kernelRequirements(repo);
  if (req.size === 0) findings.push({ file: "specs/build-artifacts/spec.md", where: "build.kernel.config", message: "no kernel symbols found in the scenario" });
  for (const [sym, want] of req) {
    const got = values.get(sym);
    if (!got) findings.push({ file: "modules/kernel-config.nix", where: `structuredExtraConfig.${sym}`, message: `not declared for nixosConfigurations.rock64 (spec wants ${want === "n" ? "not set" : `=${want}`})` });
    else if (got.value !== want) findings.push({ file: got.file, where: `structuredExtraConfig.${sym}`, message: `=${got.value}, spec wants ${want === "n" ? "not set" : `=${want}`}` });
  }
  return findings;
}
