import { readFileSync } from "node:fs";
import { walk, type NixNode } from "./nix-ast.js";
import { configurationModules, definitionsAt, type Finding, type NixRepo } from "./nix-repo.js";

/**
 * The words boot.cmd adds for the slot U-Boot's RAUC bootmeth picked, and the board
 * overrides a lab's environment may set (empty on a Rock64, whose env sets none).
 */
const SLOT_WORDS = [/^root=fstab$/, /^\$\{raucargs\}$/, /^atomicnix\.lowerdev=\$\{atomicnix_lowerdev\}$/, /^rootwait$/, /^\$\{atomicnix_console_arg\}$/, /^\$\{atomicnix_extra_args\}$/];
const PARAMS_VAR = "${atomicnix_kernel_params}";

/** boot.kernelParams of the rock64 modules, where they are literal strings. */
export function moduleKernelParams(repo: NixRepo): string[] {
  const { files } = configurationModules(repo, "rock64");
  const params: string[] = [];
  for (const d of definitionsAt(repo, files, ["boot", "kernelParams"])) {
    if (d.value.k !== "list") throw new Error(`${d.file}: boot.kernelParams is not a literal list`);
    for (const item of d.value.items) {
      if (item.k !== "str") throw new Error(`${d.file}: boot.kernelParams holds a computed item`);
      params.push(item.v);
    }
  }
  return params;
}

/**
 * The kernel command line the board boots with is boot.cmd's `bootargs`: it must
 * carry init= (the NixOS systemd initrd stops with "No init= parameter" without
 * it) and the configuration's boot.kernelParams, through the @kernelParams@ value
 * nix/boot-script.nix generates from the NixOS configuration. Any other word must
 * be a slot-dependent one or a parameter the modules declare.
 */
export function checkKernelCmdline(repo: NixRepo): Finding[] {
  const findings: Finding[] = [];
  const file = "nix/scripts/boot.cmd";
  const text = readFileSync(repo.abs(file), "utf8");
  const lines = text.split("\n");
  const at = (re: RegExp): { line: number; value: string }[] =>
    lines.flatMap((l, i) => {
      const m = re.exec(l);
      return m ? [{ line: i + 1, value: m[1]! }] : [];
    });
  const bootargs = at(/^\s*setenv bootargs "(.*)"\s*$/);
  if (bootargs.length !== 1) return [{ file, where: "bootargs", message: `expected one \`setenv bootargs "..."\`, found ${bootargs.length}` }];
  const { line, value } = bootargs[0]!;
  const declared = new Set(moduleKernelParams(repo));
  const params = at(/^\s*setenv atomicnix_kernel_params "(.*)"\s*$/);
  let init = false;
  for (const word of value.split(/\s+/).filter(Boolean)) {
    if (SLOT_WORDS.some((re) => re.test(word))) continue;
    if (word === PARAMS_VAR) {
      if (params.length === 1 && params[0]!.value === "@kernelParams@") init = true;
      else findings.push({ file: `${file}:${line}`, where: "bootargs", message: `${PARAMS_VAR} is not set once from "@kernelParams@"` });
      continue;
    }
    if (word.startsWith("init=")) {
      findings.push({ file: `${file}:${line}`, where: "bootargs", message: `hard-coded ${word}: init= must be the booted system's toplevel, from nix/boot-script.nix` });
      continue;
    }
    if (!declared.has(word)) findings.push({ file: `${file}:${line}`, where: "bootargs", message: `hard-coded ${word} is not in boot.kernelParams of rock64 (${[...declared].join(" ")})` });
  }
  if (!init) findings.push({ file: `${file}:${line}`, where: "bootargs", message: "no init= reaches the kernel: the NixOS initrd stops with \"No init= parameter\"" });
  findings.push(...checkBootScriptParams(repo));
  return findings;
}

/** nix/boot-script.nix passes `init=<toplevel>/init` and boot.kernelParams as --kernel-params. */
function checkBootScriptParams(repo: NixRepo): Finding[] {
  const file = "nix/boot-script.nix";
  const ast = repo.parse(file);
  let initFromToplevel = false;
  let kernelParams = false;
  let passed = false;
  const selects = (n: NixNode, tail: string): boolean => n.k === "select" && n.path.join(".").endsWith(tail);
  walk(ast, (n) => {
    if (n.k === "concat" && n.parts[0]?.k === "str" && n.parts[0].v === "init=" && n.parts[1] && selects(n.parts[1], "system.build.toplevel") && n.parts[2]?.k === "str" && n.parts[2].v === "/init") initFromToplevel = true;
    if (selects(n, "boot.kernelParams")) kernelParams = true;
    if (n.k === "str" && n.v.includes("--kernel-params")) passed = true;
  });
  const out: Finding[] = [];
  if (!initFromToplevel) out.push({ file, where: "kernelParams", message: 'does not start with "init=${nixosConfig.system.build.toplevel}/init"' });
  if (!kernelParams) out.push({ file, where: "kernelParams", message: "does not include the configuration's boot.kernelParams" });
  if (!passed) out.push({ file, where: "buildPhase", message: "does not pass --kernel-params to compile-boot-script.sh" });
  return out;
}
