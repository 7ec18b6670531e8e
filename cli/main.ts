// The atomicnix dispatcher: every part lists its commands in its own commands.ts
// and this file only finds, loads and runs them, so it depends on the parts and no
// part depends on it (or on another part's commands).
import { EXIT, UsageError, type CommandEntry, type PartCommands } from "../lib/args.js";
import { commands as compiler } from "../compiler/commands.js";
import { commands as conformance } from "../conformance/commands.js";
import { commands as device } from "../device/commands.js";
import { commands as operator } from "../operator/commands.js";

const PARTS: PartCommands[] = [compiler, conformance, device, operator];
/** The help lists groups and single commands in this order; a name not listed here comes after them. */
const GROUP_ORDER = ["spec", "conformance", "provision", "twin", "network"];
const SINGLE_ORDER = ["lsp", "update-server", "flash", "serial", "console"];

function merge<T>(records: Record<string, T>[], order: string[]): Record<string, T> {
  const all = new Map<string, T>();
  for (const r of records) {
    for (const [name, value] of Object.entries(r)) {
      if (all.has(name)) throw new Error(`two parts declare the command "${name}"`);
      all.set(name, value);
    }
  }
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  return Object.fromEntries([...all].sort(([a], [b]) => rank(a) - rank(b)));
}

const COMMANDS = merge(PARTS.map((p) => p.groups), GROUP_ORDER);
/** Commands without a group, e.g. `atomicnix update-server --dir BUNDLES`. */
const SINGLE = merge(PARTS.map((p) => p.singles), SINGLE_ORDER);
for (const name of Object.keys(SINGLE)) if (COMMANDS[name]) throw new Error(`"${name}" is both a group and a single command`);

function usage(): string {
  const lines = ["usage: atomicnix <group> <command> [options]", ""];
  for (const [group, commands] of Object.entries(COMMANDS)) {
    for (const [name, c] of Object.entries(commands)) lines.push(`  ${group} ${name.padEnd(9)} ${c.summary}`);
  }
  for (const [name, c] of Object.entries(SINGLE)) lines.push(`  ${name.padEnd(21)} ${c.summary}`);
  lines.push("", "Exit codes: 0 success, 1 findings or failures, 2 usage error.");
  return lines.join("\n") + "\n";
}

export async function main(argv: string[]): Promise<number> {
  const [group, name, ...rest] = argv;
  if (!group || group === "--help" || group === "-h" || group === "help") {
    process.stdout.write(usage());
    return group ? EXIT.ok : EXIT.usage;
  }
  const single = SINGLE[group];
  if (single) return run(single, group, [name, ...rest].filter((a): a is string => a !== undefined));
  const commands = COMMANDS[group];
  if (commands && (name === undefined || name === "--help" || name === "-h" || name === "help")) {
    // `atomicnix provision --help`: the group's own commands, not "unknown command".
    const lines = Object.entries(commands).map(([n, c]) => `  ${group} ${n.padEnd(9)} ${c.summary}`);
    (name ? process.stdout : process.stderr).write(`usage: atomicnix ${group} <command> [options]\n\n${lines.join("\n")}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = name ? commands?.[name] : undefined;
  if (!command) {
    process.stderr.write(`atomicnix: unknown command "${[group, name].filter(Boolean).join(" ")}"\n\n${usage()}`);
    return EXIT.usage;
  }
  return run(command, `${group} ${name}`, rest);
}

export async function run(command: Pick<CommandEntry, "load">, label: string, argv: string[]): Promise<number> {
  try {
    return await (await command.load())(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`atomicnix ${label}: ${e.message}\n`);
      return EXIT.usage;
    }
    // A bug of ours must not look like a finding (exit 1) or vanish under --json.
    const message = e instanceof Error ? e.message : String(e);
    if (argv.includes("--json")) process.stdout.write(JSON.stringify({ ok: false, internalError: message }, null, 2) + "\n");
    process.stderr.write(`atomicnix ${label}: internal error: ${message}\n${e instanceof Error && process.env.ATOMICNIX_DEBUG ? e.stack + "\n" : ""}`);
    return EXIT.usage;
  }
}
