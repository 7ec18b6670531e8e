import { validators } from "../../generated/validators/index.js";
import { renderQuadlets, type QuadletInput } from "../quadlet/render.js";
import { normaliseInbound, type FirewallInbound } from "./firewall.js";
import { IssueList, parsePath, type Issue, type Segment } from "./issues.js";
import { normaliseLan, type LanSettings } from "./lan.js";
import { schemaIssues } from "./schema-errors.js";
import { checkSshKey } from "./ssh-keys.js";
import { parseConfigToml } from "./toml-source.js";
import { checkUnitTables } from "./units.js";

export type { Issue } from "./issues.js";

/** The validated, normalised configuration (prov.* rules applied). */
export interface ProvisionConfig {
  version: 1;
  admin: { ssh_keys: string[] };
  firewall: { inbound: FirewallInbound };
  health: { required: string[] };
  lan: LanSettings;
  os_upgrade?: { server_url: string };
  container: NonNullable<QuadletInput["container"]>;
  network?: QuadletInput["network"];
  volume?: QuadletInput["volume"];
  build?: QuadletInput["build"];
}

export type ValidationResult = { ok: true; config: ProvisionConfig; warnings: Issue[] } | { ok: false; errors: Issue[] };

/** Where Quadlet placeholders point while only validating; the importer renders with its real root. */
const VALIDATION_CONFIG_DIR = "/data/config";
const UNIT_KINDS = ["container", "network", "volume", "build"] as const;
const INTEGER_PATHS = /^(version|firewall\.inbound(\.(wan|lan))?\.(tcp|udp)\[\d+\])$/;
const MAX_URL = 2048;

function table(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Top-level sections in schema order; unknown keys are reported after them. */
const TOP_ORDER = ["version", "admin", "firewall", "health", "lan", "os_upgrade", "container", "network", "volume", "build"];

/**
 * Sort key: top-level sections in schema order (unknown keys last), below that the
 * position of every segment in the document, so errors read top to bottom.
 */
function documentOrder(doc: unknown, path: string): number[] {
  const key: number[] = [];
  let node: unknown = doc;
  for (const [depth, s] of (parsePath(path) as Segment[]).entries()) {
    if (depth === 0 && typeof s === "string") {
      const known = TOP_ORDER.indexOf(s);
      const t = table(node);
      key.push(known >= 0 ? known : TOP_ORDER.length + (t ? Object.keys(t).indexOf(s) : 0));
      node = t?.[s];
    } else if (typeof s === "number") {
      key.push(s);
      node = Array.isArray(node) ? node[s] : undefined;
    } else {
      const t = table(node);
      const i = t ? Object.keys(t).indexOf(s) : -1;
      key.push(i < 0 ? 1e9 : i);
      node = t?.[s];
    }
  }
  return key;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function checkSshKeys(doc: Record<string, unknown>, issues: IssueList): string[] {
  const keys = table(doc.admin)?.ssh_keys;
  const out: string[] = [];
  const seen = new Set<string>();
  if (!Array.isArray(keys)) return out;
  keys.forEach((line, i) => {
    const path = `admin.ssh_keys[${i}]`;
    if (typeof line !== "string" || issues.has(path)) return;
    try {
      const key = checkSshKey(line);
      const id = `${key.type} ${key.blob}`;
      if (!seen.has(id)) out.push(line);
      seen.add(id);
    } catch (e) {
      issues.add(path, (e as Error).message);
    }
  });
  return out;
}

function checkHealth(doc: Record<string, unknown>, issues: IssueList): string[] {
  const required = table(doc.health)?.required;
  const declared = table(doc.container) ?? {};
  const out: string[] = [];
  if (!Array.isArray(required)) return out;
  required.forEach((name, i) => {
    if (typeof name !== "string" || issues.has(`health.required[${i}]`)) return;
    if (!Object.hasOwn(declared, name)) issues.add(`health.required[${i}]`, `"${name}" is not a declared [container.${name}]`);
    else if (!out.includes(name)) out.push(name);
  });
  return out;
}

function checkOsUpgrade(doc: Record<string, unknown>, issues: IssueList): { server_url: string } | undefined {
  const t = table(doc.os_upgrade);
  if (!t || typeof t.server_url !== "string" || issues.hasAtOrBelow("os_upgrade")) return undefined;
  const url = t.server_url;
  if (url.length > MAX_URL) return void issues.add("os_upgrade.server_url", `expected at most ${MAX_URL} characters`);
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    return void issues.add("os_upgrade.server_url", "expected an http:// or https:// URL");
  }
  return { server_url: url };
}

/** Runs the Quadlet renderer for its checks when the unit tables are structurally sound. */
function checkQuadlets(doc: Record<string, unknown>, issues: IssueList): Issue[] {
  if (UNIT_KINDS.some((k) => issues.hasAtOrBelow(k))) return [];
  const result = renderQuadlets(quadletInput(doc), { configDir: VALIDATION_CONFIG_DIR });
  if (!result.ok) {
    for (const e of result.errors) issues.add(e.path, e.message);
    return [];
  }
  return result.warnings;
}

export function quadletInput(doc: Record<string, unknown> | ProvisionConfig): QuadletInput {
  const d = doc as Record<string, unknown>;
  const input: Record<string, unknown> = {};
  for (const k of UNIT_KINDS) if (d[k] !== undefined) input[k] = d[k];
  return input as QuadletInput;
}

/**
 * Validates config.toml text against schema `config-toml` and every prov.* rule,
 * reporting every error (one per path, in document order), and returns the
 * normalised configuration when there is none.
 */
export function validateConfigText(text: string): ValidationResult {
  const parsed = parseConfigToml(text);
  if (!parsed.ok) return { ok: false, errors: [parsed.error] };
  const { doc, floats } = parsed.parsed;
  const issues = new IssueList();
  for (const i of parsed.parsed.issues) issues.add(i.path, i.message);

  const validate = validators["config-toml"];
  validate(doc);
  for (const s of schemaIssues(validate.errors, doc)) issues.add(s.path, s.message);
  // ajv sees 1.0 as the integer 1; TOML says it is a float.
  for (const p of floats) if (INTEGER_PATHS.test(p)) issues.add(p, p === "version" ? "expected the integer 1, not a float" : "expected integer 1..65535, not a float");

  const sshKeys = checkSshKeys(doc, issues);
  const inbound = normaliseInbound(table(table(doc.firewall)?.inbound), issues);
  const lan = normaliseLan(table(doc.lan), issues);
  const osUpgrade = checkOsUpgrade(doc, issues);
  const required = checkHealth(doc, issues);
  checkUnitTables(doc, issues);
  const warnings = checkQuadlets(doc, issues);

  if (issues.length || !inbound || !lan) {
    const errors = issues.items
      .map((issue, i) => ({ issue, key: documentOrder(doc, issue.path), i }))
      .sort((a, b) => compareKeys(a.key, b.key) || a.i - b.i)
      .map((x) => x.issue);
    return { ok: false, errors };
  }
  const config: ProvisionConfig = {
    version: 1,
    admin: { ssh_keys: sshKeys },
    firewall: { inbound },
    health: { required },
    lan,
    container: doc.container as ProvisionConfig["container"],
  };
  if (osUpgrade) config.os_upgrade = osUpgrade;
  for (const k of ["network", "volume", "build"] as const) if (doc[k] !== undefined) config[k] = doc[k] as Record<string, never>;
  return { ok: true, config, warnings };
}
