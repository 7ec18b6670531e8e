import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { environmentOf, parseUnit } from "../../conformance/targets/artifacts/unit-file.js";

/** One program an Exec line of a unit file runs. */
export type UnitExec = {
  unit: string;
  line: number;
  key: string;
  /** `node` for `/usr/bin/env node ...`, else argv[0]; `viaPath` when found through PATH (`env X` or a bare name) */
  program: string;
  args: string[];
  viaPath: boolean;
};

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
