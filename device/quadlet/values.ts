/** Scalar values of config.toml sections and their canonical text in a unit file. */

export type Scalar = string | number | boolean;

export function isScalar(v: unknown): v is Scalar {
  return typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
}

/** Booleans are `true`/`false`; numbers in their shortest JavaScript form. */
export function scalarText(v: Scalar): string {
  return typeof v === "string" ? v : String(v);
}

/**
 * Why a value cannot be written as one `Key=value` line that systemd reads back
 * unchanged, or undefined. Control characters would split or truncate the line, a
 * trailing backslash continues it, and outer whitespace is stripped by the parser.
 */
export function lineProblem(text: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const ctl = /[\u0000-\u001f\u007f]/.exec(text);
  if (ctl) {
    const c = ctl[0].charCodeAt(0);
    const name = c === 10 ? "a newline" : c === 9 ? "a tab" : c === 0 ? "a NUL character" : `control character U+${c.toString(16).padStart(4, "0").toUpperCase()}`;
    return `holds ${name}`;
  }
  if (text.endsWith("\\")) return "ends in a backslash (systemd would continue the line)";
  if (text !== text.trim()) return "starts or ends with whitespace (systemd would strip it)";
  return undefined;
}

/** `${CONFIG_DIR}` and `${FILES_DIR}` only; other `${...}` text and `%` specifiers stay verbatim. */
export function substitutePlaceholders(text: string, dirs: { configDir: string; filesDir: string }): string {
  return text.replace(/\$\{(CONFIG_DIR|FILES_DIR)\}/g, (_m, name: string) => (name === "CONFIG_DIR" ? dirs.configDir : dirs.filesDir));
}
