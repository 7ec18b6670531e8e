import { validators, type SchemaId } from "../../generated/validators/index.js";
import type { RenderedUnit } from "../quadlet/render.js";
import type { ProvisionConfig } from "./config.js";
import type { Issue } from "./issues.js";

/**
 * The files one import persists (prov.outputs), as bytes, with their schemas checked.
 * JSON is written with two-space indentation and a final newline, so equal input
 * gives byte-identical output.
 */
export interface OutputFile {
  /** path relative to the generation directory */
  rel: string;
  data: Uint8Array;
  mode: number;
}

/** Entries of /data/config owned by provisioning; each is a symlink into .current. */
export const OUTPUT_ENTRIES = [
  "config.toml",
  "ssh-authorized-keys",
  "firewall-inbound.json",
  "lan-settings.json",
  "health-required.json",
  "quadlet",
  "quadlet-runtime.json",
  "files",
  "os-upgrade.json",
] as const;

/** Entries only some states have; their link exists exactly when the current state holds them. */
export const OPTIONAL_ENTRIES: readonly string[] = ["os-upgrade.json"];

/** Directories every generation holds even when empty. */
export const OUTPUT_DIRS = ["ssh-authorized-keys", "quadlet", "files"] as const;

function json(schema: SchemaId, rel: string, value: unknown, errors: Issue[]): OutputFile {
  const validate = validators[schema];
  if (!validate(value)) errors.push({ path: "(input)", message: `internal error: ${rel} does not match schema ${schema}: ${JSON.stringify(validate.errors)}` });
  return { rel, data: Buffer.from(JSON.stringify(value, null, 2) + "\n"), mode: 0o644 };
}

export function buildOutputs(config: ProvisionConfig, units: readonly RenderedUnit[], source: Uint8Array): { ok: true; files: OutputFile[] } | { ok: false; errors: Issue[] } {
  const errors: Issue[] = [];
  const files: OutputFile[] = [
    { rel: "config.toml", data: source, mode: 0o644 },
    { rel: "ssh-authorized-keys/admin", data: Buffer.from(config.admin.ssh_keys.map((k) => `${k}\n`).join("")), mode: 0o644 },
    json("firewall-inbound", "firewall-inbound.json", config.firewall.inbound, errors),
    json("lan-settings", "lan-settings.json", config.lan, errors),
    json("health-required", "health-required.json", config.health.required.map((n) => `${n}.service`), errors),
    json(
      "quadlet-runtime",
      "quadlet-runtime.json",
      { app_user: "appsvc", rootless_network: "pasta", units: units.map((u) => ({ name: u.name, filename: u.filename, service: u.service, mode: u.mode })) },
      errors,
    ),
  ];
  if (config.os_upgrade) files.push(json("os-upgrade", "os-upgrade.json", { server_url: config.os_upgrade.server_url }, errors));
  for (const u of units) files.push({ rel: `quadlet/${u.filename}`, data: Buffer.from(u.content), mode: 0o644 });
  return errors.length ? { ok: false, errors } : { ok: true, files };
}
