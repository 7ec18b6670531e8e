import type { Requirement, SpecDocument } from "../model.js";
import type { CheckedRequirement, DeltaContext } from "./types.js";

/** The baseline requirement a delta's block speaks about: by its name, or by the old name when a RENAMED in the same delta gives it this one. */
export function baselineOf(req: Requirement, doc: SpecDocument, ctx: DeltaContext): CheckedRequirement | undefined {
  const renamedTo = doc.deltas.flatMap((d) => d.renames).find((r) => r.to.toLowerCase() === req.name.toLowerCase());
  return ctx.baseByName.get((renamedTo?.from ?? req.name).toLowerCase());
}
