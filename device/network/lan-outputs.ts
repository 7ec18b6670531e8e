import outputsTable from "../../generated/tables/lan-apply-outputs.json" with { type: "json" };

/** The four runtime files of table `lan-apply-outputs`, by role. */
export type LanOutputRole = "networkd" | "dnsmasq" | "hosts" | "chrony";

export interface LanOutputPath {
  role: LanOutputRole;
  /** absolute path on the device */
  file: string;
  /** the unit that must restart when this file changes */
  restarts: string;
}

const ROLE_OF: Array<[LanOutputRole, RegExp]> = [
  ["networkd", /\/systemd\/network\/.*\.network\.d\/[^/]+\.conf$/],
  ["dnsmasq", /\/dnsmasq\.d\/[^/]+\.conf$/],
  ["hosts", /\/lan-hosts$/],
  ["chrony", /\/chrony\.d\/[^/]+\.conf$/],
];

/**
 * Paths and restart units come from the spec's table, so the spec and the apply
 * cannot disagree on where a file lives or which service reads it.
 */
export function lanOutputPaths(): Record<LanOutputRole, LanOutputPath> {
  const found: Partial<Record<LanOutputRole, LanOutputPath>> = {};
  for (const [i, row] of outputsTable.rows.entries()) {
    const file = row.file.replace(/^`|`$/g, "");
    const restarts = row.restarts.replace(/^`|`$/g, "");
    const role = ROLE_OF.find(([, re]) => re.test(file))?.[0];
    if (!role) throw new Error(`generated/tables/lan-apply-outputs.json row ${i}: no known role for file ${file}`);
    if (found[role]) throw new Error(`generated/tables/lan-apply-outputs.json row ${i}: second ${role} file ${file}`);
    if (!/^[a-z0-9@.-]+\.service$/.test(restarts)) throw new Error(`generated/tables/lan-apply-outputs.json row ${i}: restarts ${restarts} is not one service`);
    found[role] = { role, file, restarts };
  }
  for (const [role] of ROLE_OF) if (!found[role]) throw new Error(`generated/tables/lan-apply-outputs.json: no row for the ${role} file`);
  return found as Record<LanOutputRole, LanOutputPath>;
}
