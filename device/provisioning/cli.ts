import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { readBundle } from "./bundle.js";
import { validateConfigText } from "./config.js";
import { Steps } from "./durable.js";
import { describe, type Issue } from "./issues.js";
import { decodeUtf8, detectInputKind } from "./input-kind.js";
import { importConfig } from "./import.js";
import { recover } from "./store.js";
import { copyStateForDryRun } from "./dry-run.js";
import { parse, UsageError } from "../../lib/args.js";

export { UsageError };

/**
 * `atomicnix provision validate|import|recover` on the host and `atomicnix-provision
 * ...` on the device (main.ts): same code, same exit codes (0 ok, 1 invalid or
 * failed, 2 usage or unreadable input). `--json` prints schema `console-response`.
 */

type Out = { stdout: (s: string) => void; stderr: (s: string) => void };
const STD: Out = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

function readInput(file: string | undefined, out: Out, json: boolean): Uint8Array | number {
  if (!file) throw new UsageError("missing FILE");
  try {
    return readFileSync(file);
  } catch (e) {
    const message = `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    if (json) out.stdout(JSON.stringify({ ok: false, error: message, errors: [{ path: "(input)", message }] }) + "\n");
    else out.stderr(`${message}\n`);
    return 2;
  }
}

function report(ok: boolean, issues: { errors?: Issue[]; warnings?: Issue[] }, message: string, json: boolean, out: Out): number {
  if (json) {
    const body = ok
      ? { ok: true, message, warnings: issues.warnings ?? [] }
      : { ok: false, error: message, errors: issues.errors ?? [] };
    out.stdout(JSON.stringify(body) + "\n");
  } else {
    for (const e of issues.errors ?? []) out.stderr(`${describe(e)}\n`);
    for (const w of issues.warnings ?? []) out.stderr(`warning: ${describe(w)}\n`);
    if (ok) out.stdout(`${message}\n`);
  }
  return ok ? 0 : 1;
}

/** A bundle's dry run: members, limits and its config.toml checked exactly as import does, unpacked into a scratch directory. */
async function validateBundle(bytes: Uint8Array, kind: "gzip" | "zstd", file: string, json: boolean, out: Out): Promise<number> {
  const scratch = mkdtempSync(join(tmpdir(), "atomicnix-validate-"));
  try {
    const bundle = await readBundle(bytes, kind, join(scratch, "files"));
    if (!bundle.ok) return report(false, { errors: [bundle.error] }, "invalid bundle", json, out);
    const text = decodeUtf8(bundle.content.configToml, `${file}: config.toml`);
    if (!text.ok) return report(false, { errors: [text.error] }, "invalid bundle", json, out);
    const r = validateConfigText(text.text);
    if (!r.ok) return report(false, { errors: r.errors }, `${r.errors.length} error${r.errors.length === 1 ? "" : "s"} in ${file}: config.toml`, json, out);
    return report(true, { warnings: r.warnings }, `Bundle is valid (config.toml${bundle.content.hasFiles ? " and files/" : ""}).`, json, out);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** validate FILE [--json]: a plain config.toml or a bundle (a dry run of import: nothing is stored). */
export async function validateCommand(argv: string[], out: Out = STD): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" } }, 1);
  const json = values.json === true;
  const bytes = readInput(positionals[0], out, json);
  if (typeof bytes === "number") return bytes;
  const kind = detectInputKind(bytes, basename(positionals[0]!));
  if (!kind.ok) return report(false, { errors: [kind.error] }, "invalid input", json, out);
  if (kind.kind !== "toml") return validateBundle(bytes, kind.kind, positionals[0]!, json, out);
  const text = decodeUtf8(bytes, positionals[0]!);
  if (!text.ok) return report(false, { errors: [text.error] }, "invalid input", json, out);
  const r = validateConfigText(text.text);
  if (!r.ok) return report(false, { errors: r.errors }, `${r.errors.length} error${r.errors.length === 1 ? "" : "s"} in ${positionals[0]}`, json, out);
  return report(true, { warnings: r.warnings }, "Configuration is valid.", json, out);
}

/**
 * `--data-dir DIR` means /data, as for `atomicnix console` (the state is DIR/config);
 * `--root DIR` names the state directory itself (/data/config). Exactly one is needed.
 */
function stateRoot(values: { root?: string; "data-dir"?: string }): string {
  if (values.root && values["data-dir"]) throw new UsageError("give --root DIR (the state directory, /data/config) or --data-dir DIR (/data), not both");
  if (values["data-dir"]) return resolve(values["data-dir"], "config");
  if (values.root) return resolve(values.root);
  throw new UsageError("missing --data-dir DIR (/data on a device; the state goes to DIR/config) or --root DIR (the state directory itself)");
}

/** import FILE (--data-dir DIR | --root DIR) [--json] [--list-crash-points] */
export async function importCommand(argv: string[], out: Out = STD): Promise<number> {
  const { values, positionals } = parse(argv, { root: { type: "string" }, "data-dir": { type: "string" }, json: { type: "boolean" }, "list-crash-points": { type: "boolean" } }, 1);
  const root = stateRoot(values);
  const json = values.json === true;
  const bytes = readInput(positionals[0], out, json);
  if (typeof bytes === "number") return bytes;
  const filename = basename(positionals[0]!);

  if (values["list-crash-points"]) {
    // Runs the same import against a scratch copy of the state and lists every step it took.
    const scratch = copyStateForDryRun(root);
    try {
      const steps = new Steps("");
      const r = await importConfig({ bytes, filename }, scratch.root, { steps });
      if (!r.ok) return report(false, { errors: r.errors }, "import rejected; no crash points", json, out);
      if (json) out.stdout(JSON.stringify({ ok: true, points: steps.names.map((name, i) => ({ n: i + 1, name })) }) + "\n");
      else steps.names.forEach((name, i) => out.stdout(`${i + 1}\t${name}\n`));
      return 0;
    } finally {
      scratch.remove();
    }
  }
  const r = await importConfig({ bytes, filename }, root);
  if (!r.ok) return report(false, { errors: r.errors }, `import of ${positionals[0]} rejected`, json, out);
  return report(true, { warnings: r.warnings }, `Configuration applied (generation ${r.generation} in ${root}).`, json, out);
}

/** recover --root DIR [--json]: removes what an interrupted import left behind. */
export async function recoverCommand(argv: string[], out: Out = STD): Promise<number> {
  const { values } = parse(argv, { root: { type: "string" }, "data-dir": { type: "string" }, json: { type: "boolean" } }, 0);
  const { removed } = recover(stateRoot(values));
  if (values.json) out.stdout(JSON.stringify({ ok: true, message: `removed ${removed.length} leftover entries`, removed }) + "\n");
  else for (const r of removed) out.stdout(`removed ${r}\n`);
  return 0;
}
