import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import { EXIT, parse, printJson, UsageError } from "../../lib/args.js";
import { problemJson } from "../../lib/problem.js";
import { gate } from "../coverage/coverage.js";
import { checkAssessment, loadAssessment, technicalFile, technicalFileMarkdown } from "../report/en18031.js";
import { coverageHtml } from "../report/html.js";
import { evidenceDir } from "../results/store.js";
import { build, OPTIONS } from "./coverage.js";

/**
 * `conformance report`: index.html (standalone), report.pdf (headless Chromium),
 * coverage.json, technical-file.md and technical-file.json, all written atomically.
 */
export async function reportCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...OPTIONS, out: { type: "string" }, "no-pdf": { type: "boolean" } }, 0);
  const { report, waivers, catalogue, runs } = build(values);
  const out = resolve(values.out ?? join(values.evidence ?? evidenceDir(), "report"));
  const data = loadAssessment();
  const problems = checkAssessment(data, catalogue);
  if (problems.length) throw new UsageError(problems.join("\n"));
  const generatedAt = new Date().toISOString();
  const tf = technicalFile(data, catalogue, report, runs, generatedAt);
  const verdict = gate(report, waivers, runs, { requireBound: true });
  const html = join(out, "index.html");
  writeFileAtomic(html, coverageHtml(catalogue, report, waivers, runs, generatedAt, tf, verdict.failures));
  writeFileAtomic(join(out, "coverage.json"), JSON.stringify({ ...report, waiverProblems: waivers.problems.map(problemJson), expiredWaivers: waivers.expired, gate: verdict }, null, 2) + "\n");
  writeFileAtomic(join(out, "technical-file.md"), technicalFileMarkdown(tf));
  writeFileAtomic(join(out, "technical-file.json"), JSON.stringify(tf, null, 2) + "\n");
  const files = ["index.html", "coverage.json", "technical-file.md", "technical-file.json"];
  if (!values["no-pdf"]) {
    const { renderReport, CHROMIUM } = await import("../report/pdf.js");
    if (!existsSync(CHROMIUM)) throw new UsageError(`${CHROMIUM} is missing: the PDF needs Debian's chromium (scripts/setup.sh installs it), or pass --no-pdf`);
    // print to a temporary name, then rename: a half-written PDF never carries the final name
    const tmp = join(out, `.report.pdf.${process.pid}`);
    const r = await renderReport(html, { pdf: tmp });
    const { renameSync } = await import("node:fs");
    renameSync(tmp, join(out, "report.pdf"));
    if (r.foreignRequests.length) throw new Error(`${html}: the page requested ${r.foreignRequests.join(", ")}: it must be standalone`);
    files.push("report.pdf");
  }
  if (values.json) printJson({ ok: true, out, files, en18031: tf.totals });
  else process.stdout.write(`report: ${html} (${files.join(", ")}); EN 18031-1: ${Object.entries(tf.totals).map(([k, v]) => `${v} ${k}`).join(", ")}\n`);
  return EXIT.ok;
}
