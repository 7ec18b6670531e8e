import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { expect, test } from "vitest";
import { checkDiscovered } from "../../compiler/corpus/check.js";
import { discoverCorpus } from "../../compiler/corpus/discover.js";
import { specMarkdown, writeSpecTree } from "../helpers/spec-fixtures.js";

// Re-checks of one corpus keep an ID index and per-file catalogue parts between runs;
// after every edit the result must equal a first check of the same files elsewhere.
const view = (root: string) => {
  const r = checkDiscovered(discoverCorpus(root), { validators: false });
  return JSON.stringify({ diagnostics: r.diagnostics, totals: r.totals, catalogue: r.catalogue, files: r.files }).replaceAll(basename(root), "ROOT");
};

test("incremental re-checks agree with fresh checks through duplicate IDs and back", () => {
  const alpha = specMarkdown("alpha", "alpha", [{}, { scenarios: [{}, {}] }]);
  const beta = (reqs: Parameters<typeof specMarkdown>[2]) => specMarkdown("beta", "beta", reqs);
  const root = writeSpecTree({ "alpha/spec.md": alpha, "beta/spec.md": beta([{}, {}]) });
  const versions = [
    beta([{ scenarios: [{ id: "alpha.req-2.case-1" }] }, {}]), // a scenario ID of another file
    beta([{ id: "alpha.req-1" }, {}]), // a requirement ID of another file
    beta([{ scenarios: [{ id: "beta.req-1" }] }, {}]), // a scenario reusing its own requirement's ID
    beta([{}, { id: "other.req-2" }]), // unique again, with an id-prefix finding
    beta([{}, {}]),
  ];
  try {
    view(root);
    for (const [k, text] of versions.entries()) {
      writeFileSync(join(root, "beta", "spec.md"), text);
      const incremental = view(root);
      const fresh = mkdtempSync(join(tmpdir(), "atomicnix-specs-"));
      cpSync(root, fresh, { recursive: true });
      const first = view(fresh).replaceAll(basename(fresh), "ROOT");
      rmSync(fresh, { recursive: true, force: true });
      expect(incremental).toBe(first);
      if (k < 3) expect(incremental).toContain('"rule":"id-unique"');
      if (k === 3) expect(incremental).toContain('"rule":"id-prefix"');
    }
    rmSync(join(root, "beta"), { recursive: true });
    writeFileSync(join(root, "alpha", "spec.md"), alpha.replace("alpha.req-1.case-0", "alpha.req-2.case-0"));
    expect(view(root)).toContain("id-unique");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
