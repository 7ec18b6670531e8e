/**
 * The commands a shell text runs, read from command positions rather than from
 * anywhere a word appears: comments dropped, lines split at `;`, `&&`, `||`, `|`,
 * `$(`, `(`, `)` and backticks, leading `VAR=value` assignments and wrappers such as
 * `exec` skipped; `"${args[@]}"` expands an `args=(...)` array of the same text.
 * Quoting is handled as far as our scripts use it (no heredocs, no eval).
 */
export interface Command {
  line: number;
  /** the command and its arguments, quotes removed */
  argv: string[];
}

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
  if ((first === "bash" || first === "sh") && rest.length && !rest[0]!.startsWith("-")) return { name: rest[0]!, args: rest.slice(1) };
  return { name: first!, args: rest };
}
