import { posix } from "node:path";

/**
 * Host-side storage sources of Volume= and Mount= values, classified the way the
 * Podman 5.4 Quadlet generator does: a source starting with `/` (or `.`, relative to
 * the unit file) is a host path, one ending in `.volume` is a Quadlet volume unit,
 * anything else is a named volume.
 */

export type StorageSource =
  | { kind: "none" }
  | { kind: "host-path"; path: string }
  | { kind: "volume-unit"; unit: string }
  | { kind: "named"; name: string }
  | { kind: "invalid"; text: string };

const NAMED_VOLUME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function classifySource(src: string | undefined): StorageSource {
  if (src === undefined || src === "") return { kind: "none" };
  if (src.startsWith("/") || src.startsWith(".")) return { kind: "host-path", path: src };
  if (src.endsWith(".volume")) return { kind: "volume-unit", unit: src };
  if (NAMED_VOLUME.test(src)) return { kind: "named", name: src };
  return { kind: "invalid", text: src };
}

/** `[source:]destination[:options]`; a single part is an anonymous volume at that path. */
export function volumeSource(value: string): StorageSource {
  const parts = value.split(":");
  return parts.length === 1 ? { kind: "none" } : classifySource(parts[0]);
}

export interface MountSpec {
  type: string | undefined;
  sources: string[];
}

/** Mount= is `key=value` pairs separated by commas; src and source both name the source. */
export function parseMount(value: string): MountSpec {
  let type: string | undefined;
  const sources: string[] = [];
  for (const field of value.split(",")) {
    const eq = field.indexOf("=");
    const k = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? "" : field.slice(eq + 1).trim();
    if (k === "type") type = v;
    else if (k === "src" || k === "source") sources.push(v);
  }
  return { type, sources };
}

/**
 * Whether a host path stays inside `dir` after normalisation. Relative paths and
 * systemd `%` specifiers are refused: their expansion happens later, outside our view.
 */
/**
 * Entries of the config directory a rootless bind may never name: provisioning's own
 * outputs (keys, policies, units), the generation store, and other owners' state
 * (SSH-on-WAN flag, VPN and management credentials, downloaded bundles).
 */
export const RESERVED_CONFIG_ENTRIES: readonly string[] = [
  "config.toml", "ssh-authorized-keys", "firewall-inbound.json", "lan-settings.json", "health-required.json", "quadlet",
  "quadlet-runtime.json", "os-upgrade.json", "ssh-wan-enabled", "openvpn", "nixstasis", "bundles",
];

/**
 * An operator file under the config directory (`${CONFIG_DIR}/local.env`, as the seed
 * allows): inside it, not the directory itself, and not under a reserved or hidden entry.
 */
export function operatorConfigPath(path: string, configDir: string): boolean {
  if (!pathInside(path, configDir)) return false;
  const first = posix.normalize(path).slice(configDir.length + 1).split("/")[0] ?? "";
  return first !== "" && !first.startsWith(".") && !RESERVED_CONFIG_ENTRIES.includes(first);
}

export function pathInside(path: string, dir: string): boolean {
  if (!path.startsWith("/") || path.includes("%")) return false;
  const norm = posix.normalize(path).replace(/\/+$/, "") || "/";
  return norm === dir || norm.startsWith(`${dir}/`);
}
