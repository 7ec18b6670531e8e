import keysTable from "../../generated/tables/quadlet-keys.json" with { type: "json" };
import deniedTable from "../../generated/tables/quadlet-podmanargs-denied.json" with { type: "json" };

/**
 * The Quadlet key allow-list and the denied PodmanArgs flags, read from the tables that
 * `atomicnix spec compile` generates from specs/quadlet/spec.md. The spec is the single
 * source of what the renderer permits; this module only gives the rows types and fails
 * loudly if the table's shape ever changes under us.
 */

export type Mode = "rootful" | "rootless";
export type KeyStatus = "allowed" | "denied" | "forced" | "rewritten";
export type SectionName = "Unit" | "Container" | "Network" | "Volume" | "Build" | "Service" | "Install";

export interface KeyRow {
  section: SectionName;
  key: string;
  rootless: KeyStatus;
  rootful: KeyStatus;
  /** `many`: repeated lines accumulate; `one`: only the last line counts, so one value */
  values: "one" | "many";
  /** free text from the spec; a leading `rootless:`/`rootful:` limits it to that mode */
  rule: string;
}

export interface DeniedFlag {
  flag: string;
  reason: string;
}

const STATUSES: readonly string[] = ["allowed", "denied", "forced", "rewritten"];
const SECTIONS: readonly string[] = ["Unit", "Container", "Network", "Volume", "Build", "Service", "Install"];

function loadKeyRows(): KeyRow[] {
  return keysTable.rows.map((r, i) => {
    if (!SECTIONS.includes(r.section) || !STATUSES.includes(r.rootless) || !STATUSES.includes(r.rootful) || (r.values !== "one" && r.values !== "many")) {
      throw new Error(`generated/tables/quadlet-keys.json row ${i}: unexpected section or status ${JSON.stringify(r)}`);
    }
    return { section: r.section as SectionName, key: r.key, rootless: r.rootless as KeyStatus, rootful: r.rootful as KeyStatus, values: r.values, rule: r.rule };
  });
}

function loadDeniedFlags(): DeniedFlag[] {
  return deniedTable.rows.map((r, i) => {
    if (!/^(--[a-z][a-z0-9-]*|-[A-Za-z])$/.test(r.flag)) {
      throw new Error(`generated/tables/quadlet-podmanargs-denied.json row ${i}: not a flag: ${JSON.stringify(r.flag)}`);
    }
    return { flag: r.flag, reason: r.reason };
  });
}

export const KEY_ROWS: readonly KeyRow[] = loadKeyRows();
export const DENIED_PODMAN_FLAGS: readonly DeniedFlag[] = loadDeniedFlags();

const byId = new Map(KEY_ROWS.map((r) => [`${r.section}.${r.key}`, r]));

export function lookupKey(section: SectionName, key: string): KeyRow | undefined {
  return byId.get(`${section}.${key}`);
}

export function statusFor(row: KeyRow, mode: Mode): KeyStatus {
  return mode === "rootless" ? row.rootless : row.rootful;
}

/** The modes a row's Rule text applies to (a leading `rootless:` or `rootful:` limits it). */
export function ruleModes(row: KeyRow): Mode[] {
  if (!row.rule) return [];
  if (row.rule.startsWith("rootless:")) return ["rootless"];
  if (row.rule.startsWith("rootful:")) return ["rootful"];
  return ["rootless", "rootful"];
}
