import { parseArgs, type ParseArgsConfig } from "node:util";

import { UsageError } from "./errors.js";

export { UsageError };

export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

/** node:util parseArgs, with its errors turned into usage errors (exit 2). */
export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, maxPositionals = Infinity) {
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (parsed.positionals.length > maxPositionals) throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`);
    return parsed;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** One CLI command: its argv after the command name in, its exit code out. */
type Command = (argv: string[]) => Promise<number>;

/** A command as the dispatcher lists it: the help line, and a lazy import so one command never loads another's part. */
export interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

/**
 * What a part (compiler/, conformance/, device/, operator/) offers the CLI in its
 * commands.ts: `groups` are `atomicnix GROUP COMMAND`, `singles` are `atomicnix COMMAND`.
 */
export interface PartCommands {
  groups: Record<string, Record<string, CommandEntry>>;
  singles: Record<string, CommandEntry>;
}
