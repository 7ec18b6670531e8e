import { readdirSync, readFileSync } from "node:fs";
import { getAttr, some, type NixNode } from "./nix-ast.js";
import { configurationModules, definitionsAt, moduleConfig, type Finding, type NixRepo } from "./repo.js";
import { program, shellCommands, unitExecs } from "./commands.js";

const TOOLS_FILE = "modules/tools.nix";
/** Shell keywords and builtins: a script runs them without a program on PATH. */
const BUILTINS = new Set(["[", "test", "echo", "printf", "set", "local", "return", "exit", "export", "shift", "read", "cd", ":", "break", "continue", "for", "in", "do", "done", "if", "then", "else", "elif", "fi", "case", "esac", "while", "until", "trap", "wait", "eval", "unset"]);
const SCRIPT_DIR = "/usr/lib/atomicnix/scripts/";

type ToolUse = { tool: string; where: string };

/** The tool names modules/tools.nix declares for the system path and the initrd, and that it installs both lists. */
function declaredTools(repo: NixRepo): { system: string[]; initrd: string[]; findings: Finding[] } {
  const { body, env } = moduleConfig(repo.parse(TOOLS_FILE));
  const names = (v: NixNode | undefined): string[] => (v?.k === "attrs" ? v.attrs.map((b) => b.name) : v?.k === "list" ? v.items.flatMap((i) => (i.k === "str" ? [i.v] : [])) : []);
  const refers = (path: string[], name: string): boolean => some(getAttr(body, path), (x) => x.k === "var" && x.name === name);
  const findings: Finding[] = [];
  if (!refers(["environment", "systemPackages"], "systemTools")) findings.push({ file: TOOLS_FILE, where: "environment.systemPackages", message: "does not install the packages of systemTools" });
  if (!refers(["boot", "initrd", "systemd", "extraBin"], "initrdTools")) findings.push({ file: TOOLS_FILE, where: "boot.initrd.systemd.extraBin", message: "does not put initrdTools on the initrd's PATH" });
  for (const c of ["rock64", "rock64-qemu"] as const) if (!configurationModules(repo, c).files.includes(TOOLS_FILE)) findings.push({ file: TOOLS_FILE, where: "imports", message: `not imported by nixosConfigurations.${c}` });
  return { system: [...names(env.get("systemTools")), ...names(env.get("systemBase"))], initrd: [...names(env.get("initrdTools")), ...names(env.get("initrdBase"))], findings };
}

/**
 * Programs a shell text runs. Quoted strings without a command substitution and
 * `$((...))` are blanked first (a message "flushing logs (x)" is no command), and
 * functions the text defines are not programs.
 */
function fromShell(text: string, where: string): ToolUse[] {
  const blanked = text.replace(/\$\(\([^)]*\)\)/g, "0").replace(/'[^']*'/g, "Q").replace(/"(?:[^"\\$]|\\.|\$(?!\())*"/g, "Q");
  const functions = new Set([...text.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\)\s*\{/gm)].map((m) => m[1]!));
  const uses = shellCommands(blanked).map((c) => ({ tool: program(c).name, where: `${where}:${c.line}` }));
  return uses.filter((u) => /^[A-Za-z][A-Za-z0-9_.+-]*$/.test(u.tool) && !BUILTINS.has(u.tool) && !functions.has(u.tool));
}

/** What the unit files, the scripts they run and the runtime's child processes call on the running system. */
function systemToolUses(repo: NixRepo): ToolUse[] {
  const uses: ToolUse[] = [];
  for (const e of unitExecs(repo.abs("device/units")).flatMap((u) => u.execs)) {
    const where = `device/units/${e.unit}:${e.line}`;
    if (e.viaPath) uses.push({ tool: e.program, where });
    const script = e.args.find((a) => a.startsWith(SCRIPT_DIR))?.slice(SCRIPT_DIR.length);
    if (script) uses.push(...fromShell(readFileSync(repo.abs(`device/scripts/${script}`), "utf8"), `device/scripts/${script}`));
    if (e.program === "sh" && e.args[0] === "-c" && e.args[1]) uses.push(...fromShell(e.args[1].replace(/\$\$/g, "$"), where));
  }
  // A literal program name given to the runtime's spawn helpers or its DEFAULT_* command constants.
  // The runtime's TypeScript sources, tests left out.
  const sources = readdirSync(repo.abs("device"), { recursive: true, encoding: "utf8" }).filter((f) => /(?<!\.test)\.ts$/.test(f)).sort();
  for (const rel of sources.map((f) => `device/${f}`)) {
    readFileSync(repo.abs(rel), "utf8").split("\n").forEach((line, i) => {
      for (const m of line.matchAll(/\b(?:run|spawn|spawnSync|execFile|execFileSync)\(\s*"([A-Za-z0-9_.-]+)"|\bDEFAULT_[A-Z_]+\b[^=]*=\s*\[\s*"([A-Za-z0-9_.-]+)"/g)) uses.push({ tool: (m[1] ?? m[2])!, where: `${rel}:${i + 1}` });
    });
  }
  return uses;
}

/** What the initrd runs: mkfs.<fs> for systemd-repart's `Format=` and the commands of its service scripts. */
function initrdToolUses(repo: NixRepo): ToolUse[] {
  const uses: ToolUse[] = [];
  const { files } = configurationModules(repo, "rock64");
  for (const d of definitionsAt(repo, files, ["systemd", "repart", "partitions"])) {
    for (const p of d.value.k === "attrs" ? d.value.attrs : []) {
      const format = getAttr(p.value, ["Format"]);
      if (format?.k === "str") uses.push({ tool: `mkfs.${format.v}`, where: `${d.file}:systemd.repart.partitions.${p.name}.Format` });
    }
  }
  for (const d of definitionsAt(repo, files, ["boot", "initrd", "systemd", "services"])) {
    for (const svc of d.value.k === "attrs" ? d.value.attrs : []) {
      const script = getAttr(svc.value, ["script"]);
      const where = `${d.file}:boot.initrd.systemd.services.${svc.name}.script`;
      const parts = script?.k === "concat" ? script.parts : script ? [script] : [];
      if (parts.every((x) => x.k === "str")) uses.push(...fromShell(parts.map((x) => (x as { v: string }).v).join(""), where));
      else uses.push({ tool: "(computed script)", where });
    }
  }
  return uses;
}

/** Every tool used is declared for where it runs, and every declared tool is used. */
export function checkTools(repo: NixRepo): Finding[] {
  const declared = declaredTools(repo);
  const findings = [...declared.findings];
  for (const [place, uses, list] of [["system", systemToolUses(repo), declared.system], ["initrd", initrdToolUses(repo), declared.initrd]] as const) {
    for (const u of uses) if (!list.includes(u.tool)) findings.push({ file: u.where, where: place, message: `calls ${u.tool}, which ${TOOLS_FILE} does not declare for the ${place}` });
    for (const t of list) if (!uses.some((u) => u.tool === t)) findings.push({ file: TOOLS_FILE, where: place, message: `declares ${t}, which nothing on the ${place} calls` });
  }
  return findings;
}
