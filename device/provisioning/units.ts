import type { IssueList } from "./issues.js";
import { formatPath } from "./issues.js";

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
  for (const [name, c] of Object.entries(table(doc.container) ?? {})) {
    exactlyOneString(table(table(c)?.Container), "Image", ["container", name, "Container"], issues);
  }
  for (const [name, b] of Object.entries(table(doc.build) ?? {})) {
    exactlyOneString(table(table(b)?.Build), "ImageTag", ["build", name, "Build"], issues);
  }
}
