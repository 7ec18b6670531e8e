import { readFileSync } from "node:fs";
import { some, type NixNode } from "./nix-ast.js";
import { configurationModules, definitionsAt, findingsFor, type Finding, type NixRepo } from "./repo.js";

/** The words boot.cmd adds for the slot RAUC picked, and the board overrides a lab's environment may set. */
const SLOT_WORDS = [/^root=fstab$/, /^\$\{raucargs\}$/, /^atomicnix\.lowerdev=\$\{atomicnix_lowerdev\}$/, /^rootwait$/, /^\$\{atomicnix_console_arg\}$/, /^\$\{atomicnix_extra_args\}$/];
const PARAMS_VAR = "${atomicnix_kernel_params}";
const FILE = "nix/scripts/boot.cmd";

/** boot.kernelParams of the rock64 modules (literal strings only; anything else throws). */
function moduleKernelParams(repo: NixRepo): string[] {
  return definitionsAt(repo, configurationModules(repo, "rock64").files, ["boot", "kernelParams"]).flatMap(({ file, value }) => {
    const items = value.k === "list" ? value.items : [];
    if (value.k !== "list" || items.some((i) => i.k !== "str")) throw new Error(`${file}: boot.kernelParams is not a list of literal strings`);
    return items.map((i) => (i as { v: string }).v);
  });
}

/**
 * boot.cmd's `bootargs` carries init= (the systemd initrd stops with "No init=
 * parameter" without it) and boot.kernelParams through the @kernelParams@ value
 * nix/boot-script.nix generates from the configuration; any other word is a
 * slot-dependent one or a parameter the modules declare.
 */
export function checkKernelCmdline(repo: NixRepo): Finding[] {
  const lines = readFileSync(repo.abs(FILE), "utf8").split("\n");
  const setenv = (name: string): { line: number; value: string }[] =>
    lines.flatMap((l, i) => {
      const m = new RegExp(`^\\s*setenv ${name} "(.*)"\\s*$`).exec(l);
      return m ? [{ line: i + 1, value: m[1]! }] : [];
    });
  const bootargs = setenv("bootargs");
  if (bootargs.length !== 1) return [{ file: FILE, where: "bootargs", message: `expected one \`setenv bootargs "..."\`, found ${bootargs.length}` }];
  const { line, value } = bootargs[0]!;
  const { findings, add } = findingsFor(`${FILE}:${line}`);
  const bad = (message: string): void => add("bootargs", message);
  const declared = new Set(moduleKernelParams(repo));
  const params = setenv("atomicnix_kernel_params");
  let init = false;
  for (const word of value.split(/\s+/).filter(Boolean)) {
    if (SLOT_WORDS.some((re) => re.test(word))) continue;
    if (word === PARAMS_VAR && params.length === 1 && params[0]!.value === "@kernelParams@") init = true;
    else if (word === PARAMS_VAR) bad(`${PARAMS_VAR} is not set once from "@kernelParams@"`);
    else if (word.startsWith("init=")) bad(`hard-coded ${word}: init= must be the booted system's toplevel, from nix/boot-script.nix`);
    else if (!declared.has(word)) bad(`hard-coded ${word} is not in boot.kernelParams of rock64 (${[...declared].join(" ")})`);
  }
  if (!init) bad('no init= reaches the kernel: the NixOS initrd stops with "No init= parameter"');
  // nix/boot-script.nix passes `init=<toplevel>/init` and boot.kernelParams as --kernel-params.
  const selects = (n: NixNode | undefined, tail: string): boolean => n?.k === "select" && n.path.join(".").endsWith(tail);
  const drv = repo.parse("nix/boot-script.nix");
  const derivation = (where: string, message: string): void => add(where, message, "nix/boot-script.nix");
  const fromToplevel = (n: NixNode): boolean => {
    const [a, b, c] = n.k === "concat" ? n.parts : [];
    return a?.k === "str" && a.v === "init=" && selects(b, "system.build.toplevel") && c?.k === "str" && c.v === "/init";
  };
  if (!some(drv, fromToplevel)) derivation("kernelParams", 'does not start with "init=${nixosConfig.system.build.toplevel}/init"');
  if (!some(drv, (n) => selects(n, "boot.kernelParams"))) derivation("kernelParams", "does not include the configuration's boot.kernelParams");
  if (!some(drv, (n) => n.k === "str" && n.v.includes("--kernel-params"))) derivation("buildPhase", "does not pass --kernel-params to compile-boot-script.sh");
  return findings;
}
