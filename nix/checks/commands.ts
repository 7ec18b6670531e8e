import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { environmentOf, parseUnit } from "../../conformance/targets/artifacts/unit-file.js";

/**
 * The commands a shell text runs, read from command positions rather than from
 * anywhere a word appears: comments dropped, lines split at `;`, `&&`, `||`, `|`,
 * `$(`, `(`, `)` and backticks, leading `VAR=value` assignments and wrappers such as
 * `exec` skipped; `"${args[@]}"` expands an `args=(...)` array of the same text.
 * Quoting is handled as far as our scripts use it (no heredocs, no eval).
 */
export type Command = { line: number; /** the command and its arguments, quotes removed */ argv: string[] };

const WRAPPERS = new Set(["exec", "command", "time", "nice", "env", "sudo", "then", "do", "else", "elif", "if", "while", "until", "!", "{"]);

export function shellCommands(text: string): Command[] {
  const arrays = new Map([...text.matchAll(/^\s*(?:local\s+)?([A-Za-z_][A-Za-z0-9_]*)=\(([^)]*)\)/gm)].map((m) => [m[1]!, m[2]!.trim()]));
  return text.split("\n").flatMap((raw, i) => {
    const line = stripComment(raw).replace(/"?\$\{([A-Za-z_][A-Za-z0-9_]*)\[@\]\}"?/g, (all, name: string) => arrays.get(name) ?? all);
    return line.split(/;|&&|\|\||\||\$\(|`|\(|\)/).flatMap((segment) => {
      const words = [...segment.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => (m[1] ?? m[2] ?? m[3]!).replace(/["']/g, ""));
      while (words.length && (WRAPPERS.has(words[0]!) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!))) words.shift();
      return words.length ? [{ line: i + 1, argv: words }] : [];
    });
  });
}

/** The line without a `#` comment that stands outside quotes. */
function stripComment(line: string): string {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) quote = c === quote ? "" : quote;
    else if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** The program a command runs: `bash X.sh` and `sh X.sh` name the script. */
export function program(cmd: Command): { name: string; args: string[] } {
  const [first, ...rest] = cmd.argv;
  const script = (first === "bash" || first === "sh") && rest.length && !rest[0]!.startsWith("-");
  return script ? { name: rest[0]!, args: rest.slice(1) } : { name: first!, args: rest };
}

/** One program an Exec line of a unit file runs: `program` is `node` for `/usr/bin/env node ...`, else argv[0]; `viaPath` when found through PATH (`env X` or a bare name). */
type UnitExec = { unit: string; line: number; key: string; program: string; args: string[]; viaPath: boolean };

/**
 * The unit files of device/units/ with their Environment= variables and the
 * programs their Exec* lines run. systemd's prefixes (`-`, `@`, `:`, `+`, `!`) are
 * dropped; `sh -c '...'` keeps its script as one word.
 */
export function unitExecs(dir: string): { unit: string; env: Record<string, string>; execs: UnitExec[] }[] {
  const units = readdirSync(dir).filter((f) => /\.(service|socket|mount)$/.test(f)).sort();
  return units.map((unit) => {
    const text = readFileSync(join(dir, unit), "utf8");
    const execs: UnitExec[] = [];
    text.split("\n").forEach((raw, i) => {
      const m = /^\s*(Exec[A-Za-z]*)\s*=\s*(.+)$/.exec(raw);
      if (!m) return;
      let [program, ...args] = [...m[2]!.replace(/^[-@:+!]+/, "").matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((w) => w[1] ?? w[2] ?? w[3]!);
      if (program === "/usr/bin/env") {
        while (args[0]?.startsWith("-") || args[0]?.includes("=")) args.shift();
        program = args.shift() ?? "";
      }
      execs.push({ unit, line: i + 1, key: m[1]!, program: program!, args, viaPath: !program!.startsWith("/") });
    });
    return { unit, env: environmentOf(parseUnit(text)), execs };
  });
}
