/**
 * systemd unit files read the way systemd reads them: every `Key=value` line kept in
 * order (a key may repeat), a drop-in appended after the main file, and for list
 * settings an empty assignment (`Key=`) resetting what came before. parseIni in
 * conformance/targets/artifacts keeps only the last value, which hides exactly the
 * repeated-trigger mistakes the unit checks are about (device/units/ in nix/checks,
 * the units of a built image in tests/artifacts).
 */

export interface UnitEntry {
  section: string;
  key: string;
  value: string;
}

export function parseUnit(text: string): UnitEntry[] {
  const out: UnitEntry[] = [];
  let section = "";
  let pending = "";
  for (const raw of text.split("\n")) {
    let line = pending + raw.trim();
    pending = "";
    if (line.endsWith("\\")) {
      pending = line.slice(0, -1) + " ";
      continue;
    }
    line = line.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0) out.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return out;
}

/** Values of a list setting after main file and drop-ins, with `Key=` resetting the list. */
export function listSetting(entries: UnitEntry[], section: string, key: string): string[] {
  let values: string[] = [];
  for (const e of entries) {
    if (e.section !== section || e.key !== key) continue;
    values = e.value === "" ? [] : [...values, e.value];
  }
  return values;
}

/** The last assignment of a single-valued setting, or undefined. */
export function lastSetting(entries: UnitEntry[], section: string, key: string): string | undefined {
  const hits = entries.filter((e) => e.section === section && e.key === key);
  return hits.length ? hits[hits.length - 1]!.value : undefined;
}

/**
 * The variables of `Environment=` assignments as systemd reads them: whitespace-separated
 * words, double or single quotes with C escapes inside, `%%` a literal `%`. Any other
 * specifier throws: a unit file read without its instance has nothing to expand it against.
 */
export function environmentOf(entries: UnitEntry[], section = "Service"): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of entries) {
    if (e.section !== section || e.key !== "Environment") continue;
    for (const word of splitQuoted(e.value)) {
      const eq = word.indexOf("=");
      if (eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return env;
}

function splitQuoted(value: string): string[] {
  const words: string[] = [];
  let i = 0;
  const specifier = (c: string | undefined): string => {
    if (c === "%") return "%";
    throw new Error(`Environment=${value}: specifier %${c ?? ""} is not expanded here`);
  };
  while (i < value.length) {
    while (/\s/.test(value[i] ?? "")) i++;
    if (i >= value.length) break;
    let word = "";
    const quote = value[i] === '"' || value[i] === "'" ? value[i++] : undefined;
    while (i < value.length && (quote ? value[i] !== quote : !/\s/.test(value[i]!))) {
      const c = value[i++]!;
      if (c === "\\" && i < value.length) {
        const n = value[i++]!;
        word += { n: "\n", t: "\t", '"': '"', "'": "'", "\\": "\\" }[n] ?? `\\${n}`;
      } else if (c === "%") word += specifier(value[i++]);
      else word += c;
    }
    if (quote) {
      if (value[i] !== quote) throw new Error(`Environment=${value}: unterminated quote`);
      i++;
    }
    words.push(word);
  }
  return words;
}
