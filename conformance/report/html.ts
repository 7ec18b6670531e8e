import type { Catalogue } from "../../compiler/corpus/check.js";
import { formatProblem } from "../../lib/problem.js";
import type { CoverageEntry, CoverageReport, Verdict } from "../coverage/coverage.js";
import type { WaiverSet } from "../coverage/waivers.js";
import type { RecordedRun } from "../results/store.js";
import type { TechnicalFile } from "./en18031.js";

function esc(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const VERDICT_CLASS: Record<string, string> = { proven: "ok", failed: "bad", "not-proven": "open", waived: "waived", planned: "planned", passed: "ok", skipped: "open", PASS: "ok", FAIL: "bad", "NOT PROVEN": "open", "NOT APPLICABLE": "planned" };
const badge = (s: string) => `<span class="st ${VERDICT_CLASS[s] ?? "open"}">${esc(s)}</span>`;
const anchor = (id: string) => `s-${id.replace(/[^a-zA-Z0-9_-]/g, "_")}`;
const BAR_ORDER: Verdict[] = ["proven", "failed", "not-proven", "waived"];

/** One stacked bar: proven, failed, not proven, waived (planned scenarios are counted beside it). */
function bar(label: string, list: readonly CoverageEntry[]): string {
  const live = list.filter((e) => e.verdict !== "planned");
  const n = Math.max(live.length, 1);
  const parts = BAR_ORDER.map((v) => {
    const c = live.filter((e) => e.verdict === v).length;
    return c ? `<span class="seg ${VERDICT_CLASS[v]}" style="width:${((100 * c) / n).toFixed(2)}%" title="${v}: ${c}">${c}</span>` : "";
  }).join("");
  const planned = list.length - live.length;
  return `<div class="barrow"><span class="barlabel">${esc(label)}</span><span class="bar">${parts}</span><span class="barcount">${live.length}${planned ? ` (+${planned} planned)` : ""}</span></div>`;
}

const excerpt = (text: string, max = 1600) => (text.length > max ? `${text.slice(0, max)}\n... (${text.length - max} more characters)` : text);

/**
 * The evidence as one standalone page (no external assets) an auditor can read
 * and print: summary bars, the EN 18031-1 technical file, assets, runs, waivers and
 * a section per scenario with its steps, binding and every run's result.
 */
export function coverageHtml(catalogue: Catalogue, report: CoverageReport, waivers: WaiverSet, runs: readonly RecordedRun[], generatedAt: string, tf?: TechnicalFile, gateFailures: readonly string[] = []): string {
  const t = report.totals;
  const stepsOf = new Map(catalogue.scenarios.map((s) => [s.id, s.steps]));
  const requirementTitle = new Map(catalogue.requirements.map((r) => [r.id, r.title]));
  const capabilities = [...new Set(report.entries.map((e) => e.capability))].sort();
  const levelBars = report.levels.map((l) => bar(l.level, report.entries.filter((e) => e.level === l.level))).join("\n");
  const capBars = capabilities.map((c) => bar(c, report.entries.filter((e) => e.capability === c))).join("\n");
  const legend = BAR_ORDER.map((v) => `<span class="st ${VERDICT_CLASS[v]}">${v}</span>`).join(" ");
  const runRows = runs
    .map((r) => {
      const m = r.start.meta;
      const c = (s: string) => r.tests.filter((x) => x.state === s).length;
      const att = r.attestation ? (r.attestation.verified ? badge("verified") : `<span class="st bad">does not verify</span>`) : "";
      return `<tr id="run-${esc(m.runId)}"><td><code>${esc(m.runId)}</code></td><td>${esc(m.target)}</td><td><code>${esc(m.revision?.slice(0, 12) ?? "?")}</code>${m.dirty ? ' <span class="st bad">dirty</span>' : ""}${m.revision === report.revision ? "" : ' <span class="st open">other commit</span>'}</td><td><code>${esc(m.imageHash ?? "")}</code></td><td>${esc(m.startedAt)}</td><td>${r.finished ? "yes" : '<span class="st bad">never finished</span>'}</td><td>${c("passed")} / ${c("failed")} / ${c("skipped")}</td><td>${att}</td></tr>`;
    })
    .join("\n");
  const enRows = tf
    ? tf.entries.map((e) => `<tr><td><a href="#en-${e.id}"><b>${esc(e.id)}</b></a></td><td>${esc(e.title)}${e.confirmed ? "" : ' <span class="confirm">(title to confirm)</span>'}</td><td>${badge(e.verdict)}</td><td>${esc(e.reason)}</td></tr>`).join("\n")
    : catalogue.en18031.map((e) => `<tr><td><b>${esc(e.id)}</b></td><td>${esc(e.title)}</td><td></td><td></td></tr>`).join("\n");
  const enDetail = tf
    ? tf.entries
        .map((e) => {
          const nodes = e.path.map((n) => `<li><b>${esc(n.node)}</b> ${esc(n.question)} <b>${esc(n.answer)}</b><ul>${n.evidence.map((ev) => `<li><code>${esc(ev.id)}</code> ${esc(ev.title)}${ev.status === "planned" ? " <i>(planned)</i>" : ""} <small>${esc(ev.source)}</small><blockquote>${esc(ev.text)}</blockquote></li>`).join("")}</ul></li>`).join("");
          const sc = e.scenarios.map((s) => `<tr><td><a href="#${anchor(s.id)}"><code>${esc(s.id)}</code></a></td><td>${esc(s.level)}</td><td>${badge(s.verdict)}</td><td>${s.runId ? `<a href="#run-${esc(s.runId)}"><code>${esc(s.runId)}</code></a>` : ""}</td><td>${esc(s.target ?? "")}</td><td><code>${esc(s.revision?.slice(0, 12) ?? "")}</code></td><td><code>${esc(s.imageHash ?? "")}</code></td></tr>`).join("");
          return `<section class="en" id="en-${e.id}"><h3>${esc(e.id)}: ${esc(e.title)}${e.confirmed ? "" : ' <span class="confirm">(title to confirm)</span>'} ${badge(e.verdict)}</h3><p>${esc(e.reason)}.</p><p><b>Justification.</b> ${esc(e.justification)}</p><ol class="path">${nodes}</ol>${sc ? `<table><tr><th>scenario</th><th>level</th><th>result</th><th>run</th><th>target</th><th>commit</th><th>image</th></tr>${sc}</table>` : "<p><i>no scenario</i></p>"}</section>`;
        })
        .join("\n")
    : "";
  const assets = tf
    ? `<h3>Security assets</h3><table><tr><th>asset</th><th>where</th><th>protection</th><th>requirements</th></tr>${tf.securityAssets.map((a) => `<tr><td>${esc(a.name)}</td><td><code>${esc(a.where)}</code></td><td>${esc(a.protection)}</td><td>${a.requirements.map((r) => `<code>${esc(r)}</code>`).join(" ")}</td></tr>`).join("")}</table>
<h3>Network assets: exposed interfaces and ports</h3><table><tr><th>interface</th><th>protocol</th><th>ports</th><th>purpose</th><th>exposed</th></tr>${tf.networkAssets.map((n) => `<tr><td>${esc(n.interface)}</td><td>${esc(n.protocol)}</td><td>${esc(n.ports)}</td><td>${esc(n.purpose)}</td><td>${esc(n.exposure)}</td></tr>`).join("")}</table>`
    : "";
  const problems = [...waivers.problems.map(formatProblem), ...waivers.expired.map((w) => `waiver for ${w.scenario} expired on ${w.expires}`)];
  const boardRun = (w: NonNullable<CoverageEntry["waiver"]>) => (w.kind !== "hardware-only" ? "" : w.last_board_run === "never" ? '<span class="never">never</span>' : esc(w.last_board_run ?? "(missing)"));
  const waiverRows = report.entries
    .filter((e) => e.waiver)
    .map((e) => `<tr><td><a href="#${anchor(e.id)}"><code>${esc(e.id)}</code></a></td><td>${esc(e.waiver!.kind)}</td><td>${esc(e.waiver!.scope)}</td><td>${esc(e.waiver!.expires)}</td><td>${boardRun(e.waiver!)}</td><td>${esc(e.waiver!.justification)}</td></tr>`)
    .join("\n");
  const scenarioSections = report.entries
    .map((e) => {
      const steps = (stepsOf.get(e.id) ?? []).map((s) => `<li><b>${esc(s.keyword)}</b> ${esc(s.text)}</li>`).join("");
      const binding = e.bound ? e.tests.map((b) => `<code>${esc(b.file)}</code> [${esc(b.targets.join(", "))}]`).join("<br>") : "<i>not bound to any test</i>";
      const results = runs
        .flatMap((r) => r.tests.filter((x) => x.scenario === e.id).map((x) => ({ r, x })))
        .map(({ r, x }) => `<tr><td><a href="#run-${esc(r.start.meta.runId)}"><code>${esc(r.start.meta.runId)}</code></a></td><td>${esc(r.start.meta.target)}</td><td><code>${esc(r.start.meta.revision?.slice(0, 12) ?? "?")}</code></td><td>${badge(x.state)}</td><td>${(x.durationMs / 1000).toFixed(2)} s</td><td>${x.state === "failed" ? `<pre>${esc(excerpt(x.errors.join("\n\n")))}</pre>` : x.skipReason ? esc(x.skipReason) : ""}</td></tr>`)
        .join("");
      const waiver = e.waiver ? `<p><b>Waiver</b> (${esc(e.waiver.kind)}, scope ${esc(e.waiver.scope)}, until ${esc(e.waiver.expires)}${e.waiver.kind === "hardware-only" ? `, plan step ${esc(e.waiver.plan_step ?? "")}, last board run ${boardRun(e.waiver)}` : ""}): ${esc(e.waiver.justification)}</p>` : "";
      return `<section class="sc" id="${anchor(e.id)}"><h3><code>${esc(e.id)}</code> ${esc(e.title)} ${badge(e.verdict)}</h3><p class="meta">${esc(e.capability)} · requirement <code>${esc(e.requirement)}</code> ${esc(requirementTitle.get(e.requirement) ?? "")} · level ${e.level} · <small>${esc(e.source)}</small></p><p>${esc(e.proof.detail)}</p><ul class="steps">${steps}</ul><p><b>Binding:</b> ${binding}</p>${waiver}${results ? `<table><tr><th>run</th><th>target</th><th>commit</th><th>result</th><th>duration</th><th>failure or skip reason</th></tr>${results}</table>` : "<p><i>no recorded result</i></p>"}</section>`;
    })
    .join("\n");
  const index = report.entries.map((e) => `<tr><td><a href="#${anchor(e.id)}"><code>${esc(e.id)}</code></a></td><td>${esc(e.title)}</td><td>${e.level}</td><td>${badge(e.verdict)}</td></tr>`).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AtomicNix conformance evidence</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.6em 0;width:100%} td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left} th{background:#f3f3f3}
.st{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;background:#ddd;white-space:nowrap}
.ok{background:#b9e6b9}.bad{background:#f3a5a5}.open{background:#f6dd8a}.waived{background:#c9d7f2}.planned{background:#e4e4e4}
.never{color:#c00;font-weight:bold}.confirm{color:#a15c00;font-size:12px}
.barrow{display:flex;align-items:center;margin:3px 0}.barlabel{width:170px;font-size:13px}.barcount{width:120px;font-size:12px;padding-left:6px}
.bar{flex:1;display:flex;height:18px;background:#f4f4f4;border:1px solid #ccc}.seg{display:block;height:100%;font-size:11px;text-align:center;overflow:hidden}
pre{white-space:pre-wrap;background:#fbf3f3;border:1px solid #e0c0c0;padding:4px;font-size:12px;max-height:24em;overflow:auto}
blockquote{margin:2px 0 6px 12px;color:#444;font-size:13px;border-left:3px solid #ddd;padding-left:8px}
section.sc,section.en{border-top:1px solid #ddd;margin-top:1em;break-inside:avoid-page} .meta{color:#555;font-size:13px} code{font-size:12px}
nav a{margin-right:1em} .fail{color:#900}
@media print{body{margin:0;max-width:none} h2{break-before:page} section.sc{break-inside:avoid} pre{max-height:none}}
</style></head><body>
<h1>AtomicNix conformance evidence</h1>
<p>Commit <code>${esc(report.revision ?? "unknown")}</code>, generated ${esc(generatedAt)} from <code>specs/</code>, <code>conformance/waivers.toml</code> and ${runs.length} recorded run(s). ${t.scenarios} scenarios: <b>${t.passed} proven</b>, ${t.failed} failed, ${t.notProven} not proven, ${t.waived} waived, ${t.planned} planned.</p>
<nav><a href="#summary">Summary</a><a href="#en18031">EN 18031-1</a><a href="#assets">Assets</a><a href="#runs">Runs</a><a href="#waivers">Waivers</a><a href="#scenarios">Scenarios</a></nav>
${gateFailures.length ? `<h2 id="gate">Gate: ${gateFailures.length} failure(s)</h2><ul class="fail">${gateFailures.map((f) => `<li>${esc(f)}</li>`).join("")}</ul>` : ""}
${problems.length ? `<h2>Waiver problems</h2><ul class="fail">${problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>` : ""}
<h2 id="summary">Summary</h2><p>${legend}</p>
<h3>Per level</h3>${levelBars}
<h3>Per capability</h3>${capBars}
<h2 id="en18031">EN 18031-1 technical file</h2>
${tf ? `<p>${esc(tf.note)}</p><p>Titles marked <span class="confirm">(title to confirm)</span> carry <code>confirmed: false</code> and still need checking against the standard text. Verdicts: ${Object.entries(tf.totals).map(([k, v]) => `${badge(k)} ${v}`).join(" ")}</p>` : ""}
<table><tr><th>ID</th><th>title</th><th>verdict</th><th>reason</th></tr>
${enRows}</table>
${enDetail}
<h2 id="assets">Asset inventory</h2>${assets}
<h2 id="runs">Runs</h2><table><tr><th>run</th><th>target</th><th>commit</th><th>image</th><th>started</th><th>finished</th><th>passed / failed / skipped</th><th>attestation</th></tr>
${runRows}</table>
<h2 id="waivers">Waivers</h2><table><tr><th>scenario</th><th>kind</th><th>scope</th><th>expires</th><th>last board run</th><th>justification</th></tr>
${waiverRows}</table>
<h2 id="scenarios">Scenarios</h2><table><tr><th>ID</th><th>title</th><th>level</th><th>verdict</th></tr>
${index}</table>
${scenarioSections}
</body></html>
`;
}
