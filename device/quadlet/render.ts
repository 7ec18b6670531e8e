import { posix } from "node:path";
import type { Issue } from "./issues.js";
import { lookupKey, statusFor, type Mode, type SectionName } from "./key-table.js";
import { applyValueRule, DEFAULT_VALUES, FORCED_VALUES, NEEDS_KEY, REQUIRED_KEYS, type Declared, type RuleContext, type UnitKind } from "./rules.js";
import { isScalar, lineProblem, scalarText, substitutePlaceholders, type Scalar } from "./values.js";

/**
 * Renders the [container.*], [network.*], [volume.*] and [build.*] tables of a
 * validated config.toml into canonical Podman 5.4 Quadlet unit files (specs/quadlet).
 * Pure: no I/O, same input gives the same bytes; every problem is reported with the
 * config path it comes from, all at once.
 */

export type Section = Record<string, Scalar | Scalar[]>;

export interface QuadletInput {
  container?: Record<string, { privileged: boolean; Container: Section; Unit?: Section; Service?: Section; Install?: Section }>;
  network?: Record<string, { Network: Section; Unit?: Section; Service?: Section; Install?: Section }>;
  volume?: Record<string, { Volume: Section; Unit?: Section; Service?: Section; Install?: Section }>;
  build?: Record<string, { Build: Section; Unit?: Section; Service?: Section; Install?: Section }>;
}

export interface RenderedUnit {
  name: string;
  filename: string;
  service: string;
  mode: "rootful" | "rootless";
  content: string;
}

export type RenderResult = { ok: true; units: RenderedUnit[]; warnings: Issue[] } | { ok: false; errors: Issue[] };

/** First line of every rendered file; quadlet-sync removes only files that start with it. */
export const MANAGED_HEADER = "# Managed by atomicnix; generated from /data/config/config.toml";

const KIND_SECTION: Readonly<Record<UnitKind, SectionName>> = { container: "Container", network: "Network", volume: "Volume", build: "Build" };
const KINDS: readonly UnitKind[] = ["build", "volume", "network", "container"];
const UNIT_NAME = /^[A-Za-z0-9_-]+$/;
/** prov.input-limits: names become file and service names, so they stay far below NAME_MAX. */
const MAX_UNIT_NAME = 64;
/** prov.input-limits: one value of a key */
const MAX_VALUE_CHARS = 8192;
/** Forced keys whose other values are replaced with a warning (quadlet.seed-forms) instead of rejected. */
const REWRITTEN_WHEN_FORCED: ReadonlySet<string> = new Set(["Container.Network"]);

/** Order in which quadlet-sync starts units: builds, then volumes and networks, then containers. */
const START_GROUP: Readonly<Record<UnitKind, number>> = { build: 0, volume: 1, network: 1, container: 2 };

function unitFilename(kind: UnitKind, name: string): string {
  return `${name}.${kind}`;
}

export function unitService(kind: UnitKind, name: string): string {
  return kind === "container" ? `${name}.service` : `${name}-${kind}.service`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Plain code-point comparison: locale-independent, so the order is the same everywhere. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface RenderContext {
  filesDir: string;
  configDir: string;
  declared: Declared;
  errors: Issue[];
  warnings: Issue[];
}

type Line = [key: string, value: string];

function renderUnit(kind: UnitKind, name: string, entry: unknown, rc: RenderContext): RenderedUnit | undefined {
  const base = `${kind}.${name}`;
  const errorsBefore = rc.errors.length;
  const fail = (path: string, message: string) => rc.errors.push({ path, message });
  if (!UNIT_NAME.test(name)) {
    fail(base, `${kind} name ${JSON.stringify(name)} must match ${UNIT_NAME.source}`);
    return undefined;
  }
  if (name.length > MAX_UNIT_NAME) {
    fail(base, `${kind} name of ${name.length} characters is too long; at most ${MAX_UNIT_NAME} are allowed`);
    return undefined;
  }
  if (!isPlainObject(entry)) {
    fail(base, `${kind} "${name}" must be a table`);
    return undefined;
  }
  let mode: Mode = "rootful";
  if (kind === "container") {
    if (typeof entry.privileged !== "boolean") {
      fail(`${base}.privileged`, `container "${name}": privileged must be true (rootful, host network) or false (rootless appsvc, pasta)`);
      return undefined;
    }
    mode = entry.privileged ? "rootful" : "rootless";
  }
  const label = `${kind} "${name}" (${mode})`;
  const kindSection = KIND_SECTION[kind];
  const sectionOrder: SectionName[] = ["Unit", kindSection, "Service", "Install"];
  for (const k of Object.keys(entry)) {
    if (k === "privileged" && kind === "container") continue;
    if (!(sectionOrder as string[]).includes(k)) fail(`${base}.${k}`, `${label}: unknown section ${JSON.stringify(k)}; expected ${sectionOrder.join(", ")}`);
  }
  if (entry[kindSection] === undefined) fail(`${base}.${kindSection}`, `${label}: the [${kindSection}] section is required`);

  const sections = new Map<SectionName, Line[]>();
  const present = new Set<string>();
  const values = new Map<string, string[]>();
  for (const section of sectionOrder) {
    const raw = entry[section];
    if (raw === undefined) continue;
    if (!isPlainObject(raw)) {
      fail(`${base}.${section}`, `${label}: [${section}] must be a table of keys`);
      continue;
    }
    const lines: Line[] = [];
    for (const [key, rawValue] of Object.entries(raw)) {
      const keyId = `${section}.${key}`;
      const path = `${base}.${keyId}`;
      const row = lookupKey(section, key);
      if (!row) {
        fail(path, `${label}: key ${keyId} is not in the Podman 5.4 Quadlet allow-list (table quadlet-keys)`);
        continue;
      }
      const status = statusFor(row, mode);
      if (status === "denied") {
        fail(path, `${label}: key ${keyId} is denied for ${mode} ${kind} units${row.rule ? ` (${row.rule})` : ""}`);
        continue;
      }
      const items = Array.isArray(rawValue) ? rawValue.map((v, i) => ({ v: v as unknown, path: `${path}[${i}]` })) : [{ v: rawValue as unknown, path }];
      if (items.length === 0) {
        fail(path, `${label}: key ${keyId} has an empty list; give at least one value or leave the key out`);
        continue;
      }
      if (row.values === "one" && items.length > 1 && !(status === "forced" && REWRITTEN_WHEN_FORCED.has(keyId))) {
        fail(path, `${label}: key ${keyId} takes one value, got ${items.length}; Podman keeps only the last ${key}= line, so the others would be dropped silently${key === "Exec" || key === "Entrypoint" ? ` (join the arguments into one string, e.g. ${key} = ${JSON.stringify(items.map((i) => String(i.v)).join(" "))})` : ""}`);
        continue;
      }
      present.add(keyId);
      const texts: { text: string; path: string }[] = [];
      for (const item of items) {
        if (!isScalar(item.v)) {
          fail(item.path, `${label}: key ${keyId} needs a string, number or boolean, got ${Array.isArray(item.v) ? "a nested list" : item.v === null ? "null" : typeof item.v}`);
          continue;
        }
        const text = substitutePlaceholders(scalarText(item.v), rc);
        const problem = text.length > MAX_VALUE_CHARS ? `is ${text.length} characters long; at most ${MAX_VALUE_CHARS} are allowed` : lineProblem(text);
        if (problem) {
          fail(item.path, `${label}: value of ${keyId} ${problem}`);
          continue;
        }
        texts.push({ text, path: item.path });
      }
      if (texts.length !== items.length) continue;
      if (status === "forced") {
        const forced = FORCED_VALUES[keyId]!(mode);
        const wrong = texts.find((t) => t.text !== forced);
        if ((wrong || texts.length !== 1) && REWRITTEN_WHEN_FORCED.has(keyId)) {
          // The seed's own configurations carry other Network= values; the mode decides, and the operator is told.
          const shown = texts.map((t) => t.text).join(", ");
          rc.warnings.push({ path, message: `${label}: ${keyId} ${JSON.stringify(shown)} replaced by ${forced}: ${mode} containers always use Network=${forced}` });
          lines.push([key, forced]);
          values.set(keyId, [forced]);
          continue;
        }
        if (wrong || texts.length !== 1) {
          const shown = wrong?.text ?? texts.map((t) => t.text).join(", ");
          fail(wrong?.path ?? path, `${label}: ${keyId} is forced to ${forced} for ${mode} units; ${JSON.stringify(shown)} is not allowed`);
          continue;
        }
        lines.push([key, forced]);
        values.set(keyId, [forced]);
        continue;
      }
      const ctx: RuleContext = { label, mode, kind, key: keyId, count: texts.length, declared: rc.declared, filesDir: rc.filesDir };
      const out: string[] = [];
      for (const t of texts) {
        const r = applyValueRule(t.text, ctx);
        if ("error" in r) {
          fail(t.path, r.error);
          continue;
        }
        if (r.warning) rc.warnings.push({ path: t.path, message: r.warning });
        out.push(r.value);
        lines.push([key, r.value]);
      }
      values.set(keyId, out);
    }
    sections.set(section, lines);
  }

  // Forced keys missing from the TOML go last in their section, then defaults.
  const appendMissing = (keyId: string, value: string) => {
    if (present.has(keyId)) return;
    const [section, key] = keyId.split(".") as [SectionName, string];
    if (!sectionOrder.includes(section)) return;
    const row = lookupKey(section, key);
    if (!row || statusFor(row, mode) === "denied") return;
    if (!sections.has(section)) sections.set(section, []);
    sections.get(section)!.push([key, value]);
    values.set(keyId, [value]);
  };
  for (const [keyId, forced] of Object.entries(FORCED_VALUES)) {
    const [section, key] = keyId.split(".") as [SectionName, string];
    const row = lookupKey(section, key);
    if (row && section === kindSection && statusFor(row, mode) === "forced") appendMissing(keyId, forced(mode));
  }
  for (const [keyId, def] of Object.entries(DEFAULT_VALUES[kind] ?? {})) appendMissing(keyId, def(mode));

  const req = REQUIRED_KEYS[kind];
  if (entry[kindSection] !== undefined) {
    for (const keyId of req.all) if (!present.has(keyId)) fail(`${base}.${keyId}`, `${label}: ${keyId} is required`);
    for (const group of req.anyOf) {
      if (!group.some((k) => present.has(k))) fail(`${base}.${kindSection}`, `${label}: [${kindSection}] needs ${group.map((k) => k.split(".")[1]).join(" or ")}`);
    }
  }
  for (const [keyId, needed] of Object.entries(NEEDS_KEY)) {
    if (present.has(keyId) && !present.has(needed)) fail(`${base}.${keyId}`, `${label}: ${keyId} needs ${needed} in the same unit (the Podman 5.4 generator refuses it alone)`);
  }
  if (kind === "volume" && present.has("Volume.Image") && present.has("Volume.Driver") && !(values.get("Volume.Driver") ?? []).includes("image")) {
    fail(`${base}.Volume.Image`, `${label}: Volume.Image needs Driver=image`);
  }
  if (rc.errors.length > errorsBefore) return undefined;

  let content = `${MANAGED_HEADER}\n`;
  for (const section of sectionOrder) {
    const lines = sections.get(section);
    if (!lines || lines.length === 0) continue;
    content += `[${section}]\n${lines.map(([k, v]) => `${k}=${v}\n`).join("")}\n`;
  }
  return { name, filename: unitFilename(kind, name), service: unitService(kind, name), mode, content };
}

export function renderQuadlets(input: QuadletInput, opts: { configDir: string }): RenderResult {
  const configDir = posix.normalize(opts.configDir).replace(/(.)\/+$/, "$1");
  const rc: RenderContext = {
    configDir,
    filesDir: posix.join(configDir, "files"),
    declared: { build: new Set(), volume: new Set(), network: new Set() },
    errors: [],
    warnings: [],
  };
  const tables = input as Record<string, unknown>;
  for (const kind of KINDS) {
    const t = tables[kind];
    if (t !== undefined && !isPlainObject(t)) rc.errors.push({ path: kind, message: `[${kind}] must be a table of named ${kind}s` });
  }
  const table = (kind: UnitKind): Record<string, unknown> => (isPlainObject(tables[kind]) ? (tables[kind] as Record<string, unknown>) : {});
  for (const kind of ["build", "volume", "network"] as const) for (const n of Object.keys(table(kind))) (rc.declared[kind] as Set<string>).add(n);

  const jobs = KINDS.flatMap((kind) => Object.keys(table(kind)).map((name) => ({ kind, name })));
  jobs.sort((a, b) => START_GROUP[a.kind] - START_GROUP[b.kind] || byCodePoint(a.name, b.name) || byCodePoint(a.kind, b.kind));
  const units: RenderedUnit[] = [];
  const services = new Map<string, { label: string; service: string }>();
  for (const { kind, name } of jobs) {
    const unit = renderUnit(kind, name, table(kind)[name], rc);
    const service = unitService(kind, name);
    // Compared without case: web.service and Web.service are one name to an operator.
    const owner = services.get(service.toLowerCase());
    if (owner) {
      // Aux units sort first, so a clash is reported at the container that collides.
      const same = owner.service === service ? "" : ` (${owner.service}, differing only in letter case)`;
      rc.errors.push({ path: `${kind}.${name}`, message: `${kind} "${name}" renders service ${service}, which ${owner.label} already renders${same}; rename one of them` });
      continue;
    }
    services.set(service.toLowerCase(), { label: `${kind} "${name}"`, service });
    if (unit) units.push(unit);
  }
  if (rc.errors.length) return { ok: false, errors: rc.errors };
  return { ok: true, units, warnings: rc.warnings };
}
