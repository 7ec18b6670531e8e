import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseUnit, type UnitEntry } from "./unit-file.js";

/** One program an Exec line of a unit file runs. */
export interface UnitExec {
  unit: string;
  line: number;
  key: string;
  /** the program as named: `node` for `/usr/bin/env node ...`, else argv[0] */
  program: string;
  args: string[];
  /** found through PATH: `/usr/bin/env X` or a bare name */
  viaPath: boolean;
}

/**
 * The unit files of a directory (device/units/) with the programs their Exec*
 * lines run. systemd's prefixes (`-`, `@`, `:`, `+`, `!`) are dropped; quoting is
 * handled as far as our units use it (`sh -c '...'` keeps its script as one word).
 */
export function unitExecs(dir: string): { unit: string; entries: UnitEntry[]; execs: UnitExec[] }[] {
  return readdirSync(dir)
    .filter((f) => /\.(service|socket|mount)$/.test(f))
    .sort()
    .map((unit) => {
      const text = readFileSync(join(dir, unit), "utf8");
      const execs: UnitExec[] = [];
      text.split("\n").forEach((raw, i) => {
        const m = /^\s*(Exec[A-Za-z]*)\s*=\s*(.*)$/.exec(raw);
        if (!m || !m[2]) return;
        const argv = words(m[2].replace(/^[-@:+!]+/, ""));
        let [program, ...args] = argv;
        let viaPath = !program!.startsWith("/");
        if (program === "/usr/bin/env") {
          while (args.length && (args[0]!.startsWith("-") || args[0]!.includes("="))) args.shift();
          program = args.shift() ?? "";
          viaPath = !program.startsWith("/");
        }
        execs.push({ unit, line: i + 1, key: m[1]!, program: program!, args, viaPath });
      });
      return { unit, entries: parseUnit(text), execs };
    });
}

function words(s: string): string[] {
  return [...s.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}
