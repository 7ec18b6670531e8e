import type { IssueList } from "./issues.js";
import { formatPath } from "./issues.js";
import { CONFIG_LIMITS } from "./limits.js";

/**
 * The rules of prov.unit-tables that the schema cannot state: a container's Image is
 * exactly one non-empty string and a build's ImageTag is present. The key allow-list
 * and value rules belong to the Quadlet renderer (specs/quadlet).
 */
function table(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function exactlyOneString(section: Record<string, unknown> | undefined, key: string, base: string[], issues: IssueList): void {
  if (!section) return;
  const path = formatPath([...base, key]);
  if (issues.hasAtOrBelow(path)) return;
  const v = section[key];
  if (v === undefined) issues.add(path, `missing required key ${key}`);
  else if (Array.isArray(v)) issues.add(path, `expected exactly one ${key}, not a list`);
  else if (typeof v !== "string") issues.add(path, `expected a string`);
  else if (v.trim() === "") issues.add(path, "must not be empty");
}

export function checkUnitTables(doc: Record<string, unknown>, issues: IssueList): void {
  for (const kind of ["container", "network", "volume", "build"] as const) {
    const names = Object.keys(table(doc[kind]) ?? {});
    if (names.length > CONFIG_LIMITS.unitsPerKind) issues.add(kind, `${names.length} ${kind} tables; at most ${CONFIG_LIMITS.unitsPerKind} are allowed`);
    // Names that differ only in case are one name to an operator and to case-insensitive tools.
    const seen = new Map<string, string>();
    for (const n of names) {
      const other = seen.get(n.toLowerCase());
      if (other !== undefined && !issues.has(kind)) issues.add(kind, `[${kind}.${other}] and [${kind}.${n}] differ only in letter case; rename one of them`);
      seen.set(n.toLowerCase(), n);
    }
  }
  for (const [name, c] of Object.entries(table(doc.container) ?? {})) {
    exactlyOneString(table(table(c)?.Container), "Image", ["container", name, "Container"], issues);
  }
  for (const [name, b] of Object.entries(table(doc.build) ?? {})) {
    // ImageTag may repeat (Podman tags the image once per line); it only has to be there.
    const build = table(table(b)?.Build);
    const path = formatPath(["build", name, "Build", "ImageTag"]);
    if (build && build.ImageTag === undefined && !issues.hasAtOrBelow(path)) issues.add(path, "missing required key ImageTag");
  }
}
