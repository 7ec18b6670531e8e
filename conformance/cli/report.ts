import { join } from "node:path";
import { writeFileAtomic } from "../../compiler/fs/atomic-write.js";
import { EXIT, parse, printJson } from "../../compiler/cli/args.js";
import { coverageHtml } from "../report/html.js";
import { evidenceDir } from "../results/store.js";
import { build, OPTIONS } from "./coverage.js";

export async function reportCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...OPTIONS, out: { type: "string" } }, 0);
  const { report, waivers, catalogue, runs } = build(values);
  const out = values.out ?? join(values.evidence ?? evidenceDir(), "report");
  writeFileAtomic(join(out, "index.html"), coverageHtml(catalogue, report, waivers, runs, new Date().toISOString()));
  writeFileAtomic(join(out, "coverage.json"), JSON.stringify({ ...report, waiverProblems: waivers.problems, expiredWaivers: waivers.expired }, null, 2) + "\n");
  if (values.json) printJson({ ok: true, out, files: ["index.html", "coverage.json"] });
  else process.stdout.write(`report: ${join(out, "index.html")}\n`);
  return EXIT.ok;
}
