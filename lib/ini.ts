/**
 * INI as systemd units and RAUC's GKeyFile files (system.conf, manifest.raucm) write it.
 *
 * parseIni: a small reader for systemd-style INI unit files, strict enough to catch anything the
 * renderer should never emit: `[Section]` headers, `Key=value` lines (whitespace around
 * `=` stripped, as systemd does), `#`/`;` comments, blank lines. Repeated keys and their
 * order are kept. Anything else is an error naming the line.
 */

interface IniSection {
  name: string;
  entries: [key: string, value: string][];
}

export interface IniDocument {
  comments: string[];
  sections: IniSection[];
}

export function parseIni(text: string, file = "(text)"): IniDocument {
  const doc: IniDocument = { comments: [], sections: [] };
  let current: IniSection | undefined;
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    if (raw.endsWith("\r")) throw new Error(`${where}: line ends in CR`);
    const line = raw.trim();
    if (line === "") return;
    if (line.startsWith("#") || line.startsWith(";")) {
      doc.comments.push(line);
      return;
    }
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = { name: header[1]!, entries: [] };
      doc.sections.push(current);
      return;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`${where}: expected [Section], Key=value or a comment, got ${JSON.stringify(raw)}`);
    if (!current) throw new Error(`${where}: key outside any section`);
    current.entries.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  });
  return doc;
}

/**
 * A lenient reader for RAUC's GKeyFile-style files: `[section]` headers, `key=value`
 * lines, `#`/`;` comments; a repeated key keeps its last value, a line that is none
 * of these is skipped. Enough to check values of files we did not write; not a validator.
 */
export function readIniSections(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = sections[header[1]!] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0 && current) current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return sections;
}
