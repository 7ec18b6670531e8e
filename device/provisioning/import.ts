import { mkdirSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { renderQuadlets, type RenderedUnit } from "../quadlet/render.js";
import { readBundle } from "./bundle.js";
import { quadletInput, validateConfigText, type ProvisionConfig } from "./config.js";
import { makeDirs, Steps } from "./durable.js";
import { decodeUtf8, detectInputKind } from "./input-kind.js";
import type { Issue } from "./issues.js";
import { withImportLock } from "./lock.js";
import { buildOutputs } from "./outputs.js";
import { commitGeneration, currentGeneration, recover, STAGING_PREFIX } from "./store.js";


export type ImportResult = { ok: true; generation: string; warnings: Issue[] } | { ok: false; errors: Issue[] };

export interface ImportOptions {
  /** crash-point counter; by default one reading ATOMICNIX_PROVISION_CRASH_AT */
  steps?: Steps;
}

interface Prepared {
  config: ProvisionConfig;
  source: Uint8Array;
  units: RenderedUnit[];
  warnings: Issue[];
}

/** Validates config.toml bytes and renders the Quadlets with the real state directory. */
function prepare(source: Uint8Array, what: string, root: string): { ok: true; prepared: Prepared } | { ok: false; errors: Issue[] } {
  const text = decodeUtf8(source, what);
  if (!text.ok) return { ok: false, errors: [text.error] };
  const v = validateConfigText(text.text);
  if (!v.ok) return v;
  const r = renderQuadlets(quadletInput(v.config), { configDir: root });
  if (!r.ok) return r;
  const seen = new Set(v.warnings.map((w) => `${w.path}\0${w.message}`));
  const warnings = [...v.warnings, ...r.warnings.filter((w) => !seen.has(`${w.path}\0${w.message}`))];
  return { ok: true, prepared: { config: v.config, source, units: r.units, warnings } };
}

function commit(root: string, p: Prepared, files: "keep" | { staged: string }, steps: Steps, staging?: string): ImportResult {
  const out = buildOutputs(p.config, p.units, p.source);
  if (!out.ok) return out;
  const before = currentGeneration(root);
  try {
    const generation = commitGeneration(root, { files: out.files, filesFrom: files, ...(staging ? { staging } : {}) }, steps);
    return { ok: true, generation, warnings: p.warnings };
  } catch (e) {
    // A disk error is an answer for the operator, not a crash: say which step and why.
    const cause = fsError(e, steps);
    const after = currentGeneration(root);
    if (after !== undefined && after !== before) {
      return { ok: true, generation: after, warnings: [...p.warnings, { path: "(state)", message: `configuration committed as generation ${after}, but the clean-up after it failed: ${cause}` }] };
    }
    try {
      recover(root, undefined, staging);
    } catch {
      // recover runs again before the next import
    }
    return { ok: false, errors: [{ path: "(state)", message: `cannot write the new state under ${root}: ${cause}; the stored state is unchanged` }] };
  }
}

function fsError(e: unknown, steps: Steps): string {
  const err = e as NodeJS.ErrnoException & { step?: string };
  const step = err.step ?? steps.names.at(-1) ?? "start";
  return `${err.code ?? "error"} at step "${step}" (${err.message})`;
}

/**
 * Imports a plain config.toml or a config bundle into the state directory `root`
 * (/data/config on a device): decides the kind from the bytes, validates everything,
 * and commits a complete new generation atomically (prov.atomic-commit). A rejected
 * input leaves every entry under root as it was.
 */
export async function importConfig(input: { bytes: Uint8Array; filename?: string }, root: string, opts: ImportOptions = {}): Promise<ImportResult> {
  try {
    return await importInto(input, root, opts);
  } catch (e) {
    // The state directory itself is unusable (not a directory, read-only, /proc ...): an answer, not a crash.
    if (!(e as NodeJS.ErrnoException).code) throw e;
    const err = e as NodeJS.ErrnoException;
    return { ok: false, errors: [{ path: "(state)", message: `cannot use ${resolve(root)} as the state directory: ${err.code} (${err.message})` }] };
  }
}

async function importInto(input: { bytes: Uint8Array; filename?: string }, root: string, opts: ImportOptions): Promise<ImportResult> {
  const steps = opts.steps ?? new Steps();
  const dir = resolve(root);
  const kind = detectInputKind(input.bytes, input.filename);
  if (!kind.ok) return { ok: false, errors: [kind.error] };
  const what = input.filename ?? "config.toml";

  if (kind.kind === "toml") {
    const p = prepare(input.bytes, what, dir);
    if (!p.ok) return p;
    makeDirs(dir, 0o755);
    return withImportLock(dir, () => commit(dir, p.prepared, "keep", steps));
  }

  makeDirs(dir, 0o755);
  return withImportLock(dir, async () => {
    const stagingName = `${STAGING_PREFIX}${process.pid}-${randomBytes(6).toString("hex")}`;
    const staging = join(dir, stagingName);
    steps.step("mkdir staging");
    mkdirSync(staging, { mode: 0o700 });
    try {
      const stagedFiles = join(staging, "files");
      const bundle = await readBundle(input.bytes, kind.kind as "gzip" | "zstd", stagedFiles, steps);
      if (!bundle.ok) return { ok: false, errors: [bundle.error] };
      const p = prepare(bundle.content.configToml, `${what}: config.toml`, dir);
      if (!p.ok) return p;
      return commit(dir, p.prepared, bundle.content.hasFiles ? { staged: stagedFiles } : "keep", steps, stagingName);
    } catch (e) {
      if (!(e as NodeJS.ErrnoException).code) throw e;
      return { ok: false, errors: [{ path: "(state)", message: `cannot unpack the bundle under ${dir}: ${fsError(e, steps)}; the stored state is unchanged` }] };
    } finally {
      try {
        steps.step("remove staging");
      } catch {
        // an injected failure here changes nothing: the staging directory goes either way
      }
      rmSync(staging, { recursive: true, force: true });
    }
  });
}
