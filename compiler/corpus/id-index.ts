import type { SpecDocument } from "../spec/model.js";
import type { CheckedRequirement } from "../spec/rules.js";

/** Where an ID was first seen; the "file:line" text is made only when a finding needs it. */
export interface Loc {
  file: string;
  line: number;
}

interface FileIds {
  /** the memoized check result these IDs were read from (identity tells whether the file changed) */
  checked: readonly CheckedRequirement[];
  ids: [string, Loc][];
}

/**
 * How often every requirement and scenario ID occurs across a corpus, kept between
 * checks and updated per changed file. While every ID occurs once, the cross-file ID
 * rules can report nothing, so a re-check after an edit (language server, --watch)
 * skips the per-ID map work over the whole corpus (about half of an unchanged
 * 10,000-scenario re-check); any shared ID sends the check through the full pass.
 */
export class IdIndex {
  private readonly files = new Map<string, FileIds>();
  private readonly occurrences = new Map<string, Loc[]>();
  private shared = 0;

  /** Brings the index up to `current` (display path -> parsed file); returns whether every ID is unique. */
  update(current: ReadonlyMap<string, { doc: SpecDocument; checked: readonly CheckedRequirement[] }>): boolean {
    for (const [display, had] of this.files) {
      const now = current.get(display);
      if (now && now.checked === had.checked) continue;
      for (const [id, loc] of had.ids) this.remove(id, loc);
      this.files.delete(display);
    }
    for (const [display, { doc, checked }] of current) {
      if (this.files.has(display)) continue;
      const ids = idsOf(display, doc, checked);
      this.files.set(display, { checked, ids });
      for (const [id, loc] of ids) this.add(id, loc);
    }
    return this.shared === 0;
  }

  /** The location of `id` when it occurs exactly once. */
  locate(id: string): Loc | undefined {
    const at = this.occurrences.get(id);
    return at?.length === 1 ? at[0] : undefined;
  }

  private add(id: string, loc: Loc): void {
    const at = this.occurrences.get(id);
    if (!at) this.occurrences.set(id, [loc]);
    else if (at.push(loc) === 2) this.shared++;
  }

  private remove(id: string, loc: Loc): void {
    const at = this.occurrences.get(id)!;
    at.splice(at.indexOf(loc), 1);
    if (at.length === 0) this.occurrences.delete(id);
    else if (at.length === 1) this.shared--;
  }
}

/** The IDs the cross-file rules register: requirements with an ID and their scenarios with one. */
function idsOf(display: string, doc: SpecDocument, checked: readonly CheckedRequirement[]): [string, Loc][] {
  const out: [string, Loc][] = [];
  checked.forEach((req, i) => {
    if (!req.id) return;
    out.push([req.id, { file: display, line: doc.requirements[i]!.at.line }]);
    req.scenarios.forEach((sc, j) => {
      if (sc.id) out.push([sc.id, { file: display, line: doc.requirements[i]!.scenarios[j]!.at.line }]);
    });
  });
  return out;
}
