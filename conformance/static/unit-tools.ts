import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { getAttr, walk, type NixNode } from "./nix-ast.js";
import { configurationModules, definitionsAt, type Finding, type NixRepo } from "./nix-repo.js";
import { program, shellCommands } from "./shell-commands.js";
import { unitExecs } from "./unit-exec.js";

const TOOLS_FILE = "modules/tools.nix";
/** Shell keywords and builtins: a script runs them without a program on PATH. */
const SHELL_BUILTINS = new Set(["[", "test", "echo", "printf", "set", "local", "return", "exit", "export", "shift", "read", "cd", ":", "break", "continue", "for", "in", "do", "done", "if", "then", "else", "elif", "fi", "case", "esac", "while", "until", "trap", "wait", "eval", "unset"]);
const SCRIPT_DIR = "/usr/lib/atomicnix/scripts/";

export interface ToolUse {
  tool: string;
  where: string;
}

/** The tool lists modules/tools.nix declares: names only, read from its syntax tree. */
export function declaredTools(repo: NixRepo): { system: string[]; initrd: string[]; findings: Finding[] } {
  const ast = repo.parse(TOOLS_FILE);
  let n: NixNode = ast.k === "lambda" ? ast.body : ast;
  const env = new Map<string, NixNode>();
  while (n.k === "let") {
    for (const b of n.attrs) if (typeof b.name === "string") env.set(b.name, b.value);
    n = n.body;
  }
  const names = (v: NixNode | undefined): string[] => (v?.k === "attrs" ? v.attrs.map((b) => String(b.name)) : v?.k === "list" ? v.items.filter((i): i is { k: "str"; v: string } => i.k === "str").map((i) => i.v) : []);
  const findings: Finding[] = [];
  // The package lists reach the system path and the initrd's /bin.
  const refers = (path: string[], name: string): boolean => {
    const v = getAttr(n, path);
    let hit = false;
    if (v) walk(v, (x) => (hit ||= x.k === "var" && x.name === name));
    return hit;
  };
  if (!refers(["environment", "systemPackages"], "systemTools")) findings.push({ file: TOOLS_FILE, where: "environment.systemPackages", message: "does not install the packages of systemTools" });
  if (!refers(["boot", "initrd", "systemd", "extraBin"], "initrdTools")) findings.push({ file: TOOLS_FILE, where: "boot.initrd.systemd.extraBin", message: "does not put initrdTools on the initrd's PATH" });
  for (const cfg of ["rock64", "rock64-qemu"] as const) if (!configurationModules(repo, cfg).files.includes(TOOLS_FILE)) findings.push({ file: TOOLS_FILE, where: "imports", message: `not imported by nixosConfigurations.${cfg}` });
  return { system: [...names(env.get("systemTools")), ...names(env.get("systemBase"))], initrd: [...names(env.get("initrdTools")), ...names(env.get("initrdBase"))], findings };
}

const isTool = (name: string): boolean => /^[A-Za-z][A-Za-z0-9_.+-]*$/.test(name) && !SHELL_BUILTINS.has(name);
/**
 * Commands of a shell text. Quoted strings without a command substitution and
 * arithmetic `$((...))` are blanked first: shellCommands splits at `(` and `;`
 * wherever they stand, and a message such as "flushing logs (x)" is no command.
 * Functions the text defines are not programs either.
 */
function fromShell(text: string, where: string): ToolUse[] {
  const blanked = text
    .replace(/\$\(\([^)]*\)\)/g, "0")
    .replace(/'[^']*'/g, "Q")
    .replace(/"(?:[^"\\$]|\\.|\$(?!\())*"/g, "Q");
  const functions = new Set([...text.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\)\s*\{/gm)].map((m) => m[1]!));
  return shellCommands(blanked)
    .map((c) => ({ tool: program(c).name, where: `${where}:${c.line}` }))
    .filter((u) => isTool(u.tool) && !functions.has(u.tool));
}

/** What the unit files, the scripts they run and the runtime call on the running system. */
export function systemToolUses(repo: NixRepo): ToolUse[] {
  const uses: ToolUse[] = [];
  for (const { execs } of unitExecs(repo.abs("device/units"))) {
    for (const e of execs) {
      const where = `device/units/${e.unit}:${e.line}`;
      if (e.viaPath) uses.push({ tool: e.program, where });
      const script = e.args.find((a) => a.startsWith(SCRIPT_DIR));
      if (script) uses.push(...fromShell(readFileSync(repo.abs(`device/scripts/${script.slice(SCRIPT_DIR.length)}`), "utf8"), `device/scripts/${script.slice(SCRIPT_DIR.length)}`));
      if (e.program === "sh" && e.args[0] === "-c" && e.args[1]) uses.push(...fromShell(e.args[1].replace(/\$\$/g, "$"), where));
    }
  }
  // The runtime's child processes: a literal program name given to its spawn helpers.
  for (const file of sourceFiles(repo.abs("device"))) {
    const rel = `device/${file}`;
    readFileSync(repo.abs(rel), "utf8").split("\n").forEach((line, i) => {
      for (const m of line.matchAll(/\b(?:run|spawn|spawnSync|execFile|execFileSync)\(\s*"([A-Za-z0-9_.-]+)"/g)) uses.push({ tool: m[1]!, where: `${rel}:${i + 1}` });
      for (const m of line.matchAll(/\bDEFAULT_[A-Z_]+\b[^=]*=\s*\[\s*"([A-Za-z0-9_.-]+)"/g)) uses.push({ tool: m[1]!, where: `${rel}:${i + 1}` });
    });
  }
  return uses;
}

/** What the initrd runs: mkfs.<fs> for systemd-repart's `Format=` and the commands of its service scripts. */
export function initrdToolUses(repo: NixRepo): ToolUse[] {
  const uses: ToolUse[] = [];
  const { files } = configurationModules(repo, "rock64");
  for (const d of definitionsAt(repo, files, ["systemd", "repart", "partitions"])) {
    if (d.value.k !== "attrs") continue;
    for (const p of d.value.attrs) {
      const format = getAttr(p.value, ["Format"]);
      if (format?.k === "str") uses.push({ tool: `mkfs.${format.v}`, where: `${d.file}:systemd.repart.partitions.${String(p.name)}.Format` });
    }
  }
  for (const d of definitionsAt(repo, files, ["boot", "initrd", "systemd", "services"])) {
    if (d.value.k !== "attrs") continue;
    for (const svc of d.value.attrs) {
      const script = getAttr(svc.value, ["script"]);
      const literal = script?.k === "concat" && script.parts.every((x) => x.k === "str") ? script.parts.map((x) => (x as { v: string }).v).join("") : script?.k === "str" ? script.v : undefined;
      if (literal !== undefined) uses.push(...fromShell(literal, `${d.file}:boot.initrd.systemd.services.${String(svc.name)}.script`));
      else if (script) uses.push({ tool: "(computed script)", where: `${d.file}:boot.initrd.systemd.services.${String(svc.name)}.script` });
    }
  }
  return uses;
}

/** Every tool used is declared for where it runs, and every declared tool is used. */
export function checkTools(repo: NixRepo): Finding[] {
  const declared = declaredTools(repo);
  const findings = [...declared.findings];
  for (const [place, uses, list] of [
    ["system", systemToolUses(repo), declared.system],
    ["initrd", initrdToolUses(repo), declared.initrd],
  ] as const) {
    for (const u of uses) if (!list.includes(u.tool)) findings.push({ file: u.where, where: place, message: `calls ${u.tool}, which ${TOOLS_FILE} does not declare for the ${place}` });
    for (const t of list) if (!uses.some((u) => u.tool === t)) findings.push({ file: TOOLS_FILE, where: place, message: `declares ${t}, which nothing on the ${place} calls` });
  }
  return findings;
}

function sourceFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix)).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e}` : e;
    if (statSync(join(dir, rel)).isDirectory()) return sourceFiles(dir, rel);
    return /\.ts$/.test(e) && !/\.test\.ts$/.test(e) ? [rel] : [];
  });
}
