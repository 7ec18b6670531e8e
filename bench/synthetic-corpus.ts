import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes an AtomicNix-layout corpus of `scenarios` scenarios (5 per requirement, 40 requirements per capability). */
export function writeSyntheticCorpus(root: string, scenarios: number, en18031File: string): { capabilities: number; requirements: number } {
  mkdirSync(root, { recursive: true });
  cpSync(en18031File, join(root, "en18031-part1.json"));
  const perReq = 5;
  const perCap = 40;
  const requirements = Math.ceil(scenarios / perReq);
  const capabilities = Math.ceil(requirements / perCap);
  let made = 0;
  for (let c = 0; c < capabilities; c++) {
    const prefix = `cap${c}`;
    const lines = [`# ${prefix} Specification`, "", "## Purpose", `Synthetic capability ${c} used to measure how the spec tools scale with corpus size.`, "", "## Requirements", ""];
    for (let r = 0; r < perCap && made < scenarios; r++) {
      lines.push(`### Requirement: Requirement ${r} of capability ${c}`, `**ID**: \`${prefix}.req-${r}\``, `**EN18031**: ${r % 3 === 0 ? "GEC-6, TCM-1" : "none"}`, "", `The gateway SHALL satisfy synthetic requirement ${r} of capability ${c} under all conditions.`, "");
      for (let s = 0; s < perReq && made < scenarios; s++, made++) {
        lines.push(`#### Scenario: Case ${s}`, `**ID**: \`${prefix}.req-${r}.case-${s}\``, `**Level**: ${["unit", "device", "static", "artifact", "hardware"][s % 5]}`, "", "- **GIVEN** a provisioned gateway", `- **WHEN** event ${s} happens`, "- **THEN** the gateway reacts as specified", "- **AND** nothing else changes", "");
      }
    }
    mkdirSync(join(root, prefix), { recursive: true });
    writeFileSync(join(root, prefix, "spec.md"), lines.join("\n"));
  }
  return { capabilities, requirements };
}

/** One capability whose spec.md is about `bytes` long (requirements of one scenario each), in our layout. */
export function writeLargeSpec(root: string, bytes: number, en18031File: string): { requirements: number; bytes: number } {
  mkdirSync(join(root, "big"), { recursive: true });
  cpSync(en18031File, join(root, "en18031-part1.json"));
  const parts = ["# big Specification", "", "## Purpose", "One very large capability used to measure how the spec tools scale with file size.", "", "## Requirements", ""];
  let size = parts.join("\n").length;
  let r = 0;
  while (size < bytes) {
    const block = [
      `### Requirement: Requirement ${r}`,
      `**ID**: \`big.req-${r}\``,
      `**EN18031**: ${r % 3 === 0 ? "GEC-6" : "none"}`,
      "",
      `The gateway SHALL satisfy large requirement ${r}.`,
      "",
      `#### Scenario: Case ${r}`,
      `**ID**: \`big.req-${r}.case\``,
      "**Level**: unit",
      "",
      "- **WHEN** the event happens",
      "- **THEN** the gateway reacts",
      "",
    ].join("\n");
    parts.push(block);
    size += block.length + 1;
    r++;
  }
  const text = parts.join("\n");
  writeFileSync(join(root, "big", "spec.md"), text);
  return { requirements: r, bytes: text.length };
}
