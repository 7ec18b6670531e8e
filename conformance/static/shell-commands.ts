/**
 * The commands a shell script runs, read from command positions rather than from
 * anywhere a word appears: comments are dropped, lines split at `;`, `&&`, `||`,
 * `|`, `$(`, `(` and backticks, leading `VAR=value` assignments and wrappers such
 * as `exec` skipped. A word in a comment, a string, a `for x in ...` list or an
 * argument is not a command. Quoting is handled only as far as our build scripts
 * use it (no heredocs, no eval).
 */

export interface Command {
  line: number;
  /** the command and its arguments, quotes removed */
  argv: string[];
}

const WRAPPERS = new Set(["exec", "command", "time", "nice", "env", "sudo", "then", "do", "else", "elif", "if", "while", "until", "!", "{"]);

export function shellCommands(text: string): Command[] {
  const out: Command[] = [];
  // `args=(bundle --cert ...)` then `rauc "${args[@]}"`: the array's words are the arguments.
  const arrays = new Map<string, string>();
  for (const m of text.matchAll(/^\s*(?:local\s+)?([A-Za-z_][A-Za-z0-9_]*)=\(([^)]*)\)/gm)) arrays.set(m[1]!, m[2]!.trim());
  text.split("\n").forEach((raw, i) => {
    const line = stripComment(raw).replace(/"?\$\{([A-Za-z_][A-Za-z0-9_]*)\[@\]\}"?/g, (all, name: string) => arrays.get(name) ?? all);
    for (const segment of line.split(/;|&&|\|\||\||\$\(|`|\(|\)/)) {
      const words = splitWords(segment);
      while (words.length && (WRAPPERS.has(words[0]!) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!))) words.shift();
      if (words.length) out.push({ line: i + 1, argv: words });
    }
  });
  return out;
}

function stripComment(line: string): string {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = "";
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

function splitWords(segment: string): string[] {
  const words: string[] = [];
  for (const m of segment.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  // "a"b forms are rare in our scripts; joined words are good enough for command names.
  return words.map((w) => w.replace(/["']/g, ""));
}

/** The program a command runs: `bash X.sh` and `sh X.sh` name the script. */
export function program(cmd: Command): { name: string; args: string[] } {
  const [first, ...rest] = cmd.argv;
  if ((first === "bash" || first === "sh") && rest.length && !rest[0]!.startsWith("-")) return { name: rest[0]!, args: rest.slice(1) };
  return { name: first!, args: rest };
}
