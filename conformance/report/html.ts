import type { Catalogue } from "../../compiler/corpus/check.js";
import { overallState, type CoverageReport } from "../coverage/coverage.js";
import type { WaiverSet } from "../coverage/waivers.js";
import type { RecordedRun } from "../results/store.js";

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const STATE_CLASS: Record<string, string> = { passed: "ok", failed: "bad", skipped: "skip", "not-run": "skip" };

/**
 * A standalone page an auditor can read without tools: the runs it draws on, counts
 * per level, EN 18031-1 ID -> requirements -> scenarios with their last results, and
 * every scenario with its binding, waiver and result per target.
 */
export function coverageHtml(catalogue: Catalogue, report: CoverageReport, waivers: WaiverSet, runs: readonly RecordedRun[], generatedAt: string): string {
  const byId = new Map(report.entries.map((e) => [e.id, e]));
  const state = (id: string) => {
    const e = byId.get(id);
    if (!e) return "not-run";
    return e.bound ? overallState(e) : e.waiver ? "waived" : e.status === "planned" ? "planned" : "unbound";
  };
  const badge = (s: string) => `<span class="st ${STATE_CLASS[s] ?? "none"}">${esc(s)}</span>`;
  const runRows = runs
    .slice(-20)
    .map((r) => `<tr><td>${esc(r.start.meta.runId)}</td><td>${esc(r.start.meta.target)}</td><td>${esc(r.start.meta.revision ?? "?")}${r.start.meta.dirty ? " (dirty)" : ""}</td><td>${esc(r.start.meta.imageHash ?? "")}</td><td>${esc(r.start.meta.startedAt)}</td><td>${r.tests.filter((t) => t.state === "passed").length}/${r.tests.filter((t) => t.state === "failed").length}/${r.tests.filter((t) => t.state === "skipped").length}</td></tr>`)
    .join("\n");
  const levelRows = report.levels.map((l) => `<tr><td>${l.level}</td><td>${l.total}</td><td>${l.bound}</td><td>${l.unbound}</td><td>${l.waived}</td><td>${l.passed}</td><td>${l.failed}</td></tr>`).join("\n");
  const traceRows = catalogue.en18031
    .map((en) => {
      const reqs = catalogue.requirements.filter((r) => r.en18031.includes(en.id));
      const body = reqs.length
        ? reqs.map((r) => `<div><b>${esc(r.id)}</b> ${esc(r.title)}${r.status === "planned" ? " <i>(planned)</i>" : ""}<br>${r.scenarios.map((s) => `${badge(state(s))} <code>${esc(s)}</code>`).join("<br>")}</div>`).join("")
        : "<i>no requirement cites this ID</i>";
      return `<tr><td><b>${esc(en.id)}</b><br>${esc(en.title)}${en.confirmed ? "" : " (title to confirm)"}</td><td>${body}</td></tr>`;
    })
    .join("\n");
  const scenarioRows = report.entries
    .map((e) => {
      const results = Object.entries(e.results).map(([t, r]) => `${esc(t)}: ${badge(r.state)}`).join(" ") || "";
      const binding = e.bound ? e.tests.map((t) => `<code>${esc(t.file)}</code> [${esc(t.targets.join(", "))}]`).join("<br>") : e.waiver ? `waived (${esc(e.waiver.kind)}, ${esc(e.waiver.scope)}, until ${esc(e.waiver.expires)}): ${esc(e.waiver.justification)}${e.waiver.kind === "hardware-only" ? ` last board run: ${e.waiver.last_board_run === "never" ? '<span class="never">never</span>' : esc(e.waiver.last_board_run ?? "")}` : ""}` : "";
      return `<tr><td><code>${esc(e.id)}</code><br><small>${esc(e.source)}</small></td><td>${esc(e.title)}</td><td>${e.level}</td><td>${badge(state(e.id))}</td><td>${results}</td><td>${binding}</td></tr>`;
    })
    .join("\n");
  const problems = [...waivers.problems.map((p) => `${p.where}: ${p.message}`), ...waivers.expired.map((w) => `waiver for ${w.scenario} expired on ${w.expires}`)];
  const t = report.totals;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AtomicNix conformance evidence</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222} table{border-collapse:collapse;margin:1em 0;width:100%}
td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left} th{background:#f3f3f3}
.st{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;background:#ddd}
.never{color:#c00;font-weight:bold}.ok{background:#c8efc8}.bad{background:#f5b5b5}.skip{background:#eee}.none{background:#f3e6b3} code{font-size:12px}
</style></head><body>
<h1>AtomicNix conformance evidence</h1>
<p>Generated ${esc(generatedAt)} from <code>specs/</code> and the recorded runs. ${t.scenarios} scenarios: ${t.bound} bound (${t.passed} passing, ${t.failed} failing, ${t.notProven} not proven), ${t.unbound} unbound (${t.waived} waived); ${t.planned} belong to planned requirements.</p>
${problems.length ? `<h2>Waiver problems</h2><ul>${problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>` : ""}
<h2>Runs</h2><table><tr><th>run</th><th>target</th><th>revision</th><th>image</th><th>started</th><th>passed/failed/skipped</th></tr>
${runRows}</table>
<h2>Per level</h2><table><tr><th>level</th><th>total</th><th>bound</th><th>unbound</th><th>waived</th><th>passed</th><th>failed</th></tr>
${levelRows}</table>
<h2>EN 18031-1 trace</h2><table><tr><th>requirement ID</th><th>AtomicNix requirements and scenarios</th></tr>
${traceRows}</table>
<h2>Scenarios</h2><table><tr><th>ID</th><th>title</th><th>level</th><th>state</th><th>last result per target</th><th>binding</th></tr>
${scenarioRows}</table>
</body></html>
`;
}
