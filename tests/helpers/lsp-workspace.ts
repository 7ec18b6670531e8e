import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { specMarkdown, writeSpecTree } from "./spec-fixtures.js";

/** A small checkout for the language server: two specs, a test binding one scenario, a waiver. */
export function lspWorkspace(): { root: string; spec: string; other: string; test: string; waivers: string } {
  const root = mkdtempSync(join(tmpdir(), "atomicnix-lsp-"));
  writeSpecTree(
    {
      "demo/spec.md": specMarkdown("demo", "demo", [{ scenarios: [{ name: "Boots", steps: "- **GIVEN** a gateway\n- **WHEN** it boots\n- **THEN** the LAN comes up" }] }, {}]),
      "other/spec.md": specMarkdown("other", "other", [{}]),
    },
    join(root, "specs"),
  );
  mkdirSync(join(root, "tests"), { recursive: true });
  const test = join(root, "tests", "demo.test.ts");
  writeFileSync(test, 'import { scenario } from "../conformance/binding.js";\n\nscenario("demo.req-1.case-0", { targets: ["host"] }, () => {});\nscenario("\n');
  mkdirSync(join(root, "conformance"), { recursive: true });
  const waivers = join(root, "conformance", "waivers.toml");
  writeFileSync(waivers, '[[waiver]]\nscenario = "demo.req-1.case-0"\nkind = "temporary"\n');
  return { root, spec: join(root, "specs", "demo", "spec.md"), other: join(root, "specs", "other", "spec.md"), test, waivers };
}
