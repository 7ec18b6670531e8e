import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Catalogue, CatalogueRequirement } from "../../compiler/corpus/check.js";
import type { CoverageEntry, CoverageReport } from "../coverage/coverage.js";
import type { RecordedRun } from "../results/store.js";

/** The technical file's verdict vocabulary, as the standard's decision trees end. */
type En18031Verdict = "PASS" | "FAIL" | "NOT APPLICABLE" | "NOT PROVEN";

/** One ID's answer to the standard's decision tree, authored in specs/en18031-part1.json. */
interface Assessment {
  path: { node: string; question: string; answer: string; requirements: string[] }[];
  outcome: "assess" | "not-applicable";
  justification: string;
}

export interface AssessmentData {
  standard: string;
  note: string;
  requirements: { id: string; title: string; confirmed: boolean; assessment?: Assessment }[];
  assets?: { security: Asset[] };
}

interface Asset {
  name: string;
  where: string;
  protection: string;
  requirements: string[];
}

interface NodeAnswer {
  node: string;
  question: string;
  answer: string;
  /** the requirement text that answers the node, quoted from specs/ */
  evidence: { id: string; title: string; source: string; text: string; status: string }[];
}

interface ScenarioEvidence {
  id: string;
  title: string;
  level: string;
  requirement: string;
  verdict: CoverageEntry["verdict"];
  detail: string;
  runId: string | null;
  target: string | null;
  revision: string | null;
  imageHash: string | null;
  waiver: string | null;
}

interface TechnicalEntry {
  id: string;
  title: string;
  confirmed: boolean;
  path: NodeAnswer[];
  verdict: En18031Verdict;
  justification: string;
  /** why the verdict is what it is, in one sentence */
  reason: string;
  scenarios: ScenarioEvidence[];
}

export interface NetworkAsset {
  interface: string;
  protocol: string;
  ports: string;
  purpose: string;
  exposure: string;
}

export interface TechnicalFile {
  standard: string;
  revision: string | null;
  generatedAt: string;
  note: string;
  entries: TechnicalEntry[];
  totals: Record<En18031Verdict, number>;
  securityAssets: Asset[];
  networkAssets: NetworkAsset[];
}

export function loadAssessment(file = join("specs", "en18031-part1.json")): AssessmentData {
  if (!existsSync(file)) throw new Error(`${file}: not found`);
  return JSON.parse(readFileSync(file, "utf8")) as AssessmentData;
}

/** Problems of the assessment data against the catalogue: missing IDs, nodes without answers, unknown requirements. */
export function checkAssessment(data: AssessmentData, catalogue: Catalogue): string[] {
  const problems: string[] = [];
  const reqs = new Set(catalogue.requirements.map((r) => r.id));
  for (const [i, r] of data.requirements.entries()) {
    const where = `specs/en18031-part1.json: requirements[${i}] (${r.id})`;
    if (!r.assessment) {
      problems.push(`${where}: no assessment`);
      continue;
    }
    if (!r.assessment.path.length) problems.push(`${where}: assessment.path is empty`);
    if (r.assessment.justification.length < 40) problems.push(`${where}: assessment.justification is shorter than 40 characters`);
    for (const [j, n] of r.assessment.path.entries()) {
      if (!n.question.trim() || !n.answer.trim()) problems.push(`${where}: path[${j}] needs a question and an answer`);
      if (!n.node.startsWith(`DT.${r.id}.DN-`)) problems.push(`${where}: path[${j}].node "${n.node}" is not DT.${r.id}.DN-n`);
      for (const q of n.requirements) if (!reqs.has(q)) problems.push(`${where}: path[${j}] cites "${q}", which is not a requirement of the catalogue`);
    }
  }
  return problems;
}

/** The requirement's body text (after its ID/EN18031/Status lines, up to its first scenario), read from its spec file. */
function requirementText(req: Pick<CatalogueRequirement, "file" | "line">): string {
  const file = existsSync(req.file) ? req.file : join("specs", req.file);
  if (!existsSync(file)) return "";
  const lines = readFileSync(file, "utf8").split("\n").slice(req.line);
  const body: string[] = [];
  for (const l of lines) {
    if (/^#{2,4} /.test(l)) break;
    if (/^\*\*[A-Za-z0-9-]+\*\*:/.test(l)) continue;
    body.push(l);
  }
  return body.join(" ").replace(/\s+/g, " ").trim();
}

/** A node answer that admits a gap: the mechanism is missing or only planned. */
const GAP = /\b(planned|partly)\b/i;

export function technicalFile(data: AssessmentData, catalogue: Catalogue, report: CoverageReport, runs: readonly RecordedRun[], generatedAt: string): TechnicalFile {
  const reqById = new Map(catalogue.requirements.map((r) => [r.id, r]));
  const entryById = new Map(report.entries.map((e) => [e.id, e]));
  const runById = new Map(runs.map((r) => [r.start.meta.runId, r]));
  const entries = data.requirements.map((en): TechnicalEntry => {
    const a = en.assessment ?? { path: [], outcome: "assess" as const, justification: "(no assessment recorded in specs/en18031-part1.json)" };
    const path = a.path.map((n) => ({
      node: n.node,
      question: n.question,
      answer: n.answer,
      evidence: n.requirements.map((id) => {
        const r = reqById.get(id);
        return { id, title: r?.title ?? "(unknown requirement)", source: r ? `${r.file}:${r.line}` : "", text: r ? requirementText(r) : "", status: r?.status ?? "unknown" };
      }),
    }));
    // scenarios: every requirement that cites this ID (the trace) and every one a node cites
    const reqIds = new Set([...catalogue.requirements.filter((r) => r.en18031.includes(en.id)).map((r) => r.id), ...a.path.flatMap((n) => n.requirements)]);
    const scenarios = [...reqIds].flatMap((rid) => reqById.get(rid)?.scenarios ?? []).filter((id, i, all) => all.indexOf(id) === i).map((id): ScenarioEvidence => {
      const e = entryById.get(id);
      const run = e?.proof.runId ? runById.get(e.proof.runId) : undefined;
      return {
        id,
        title: e?.title ?? id,
        level: e?.level ?? "?",
        requirement: e?.requirement ?? "?",
        verdict: e?.verdict ?? "not-proven",
        detail: e?.proof.detail ?? "",
        runId: run?.start.meta.runId ?? null,
        target: run?.start.meta.target ?? null,
        revision: run?.start.meta.revision ?? null,
        imageHash: run?.start.meta.imageHash ?? null,
        waiver: e?.waiver ? `${e.waiver.kind}, ${e.waiver.scope}, until ${e.waiver.expires}: ${e.waiver.justification}` : null,
      };
    });
    const live = scenarios.filter((s) => s.verdict !== "planned");
    const gaps = path.filter((n) => GAP.test(n.answer));
    let verdict: En18031Verdict;
    let reason: string;
    if (a.outcome === "not-applicable") {
      verdict = "NOT APPLICABLE";
      reason = "the decision tree ends not applicable (see the justification)";
    } else if (live.some((s) => s.verdict === "failed")) {
      verdict = "FAIL";
      reason = `scenario(s) failed at this commit: ${live.filter((s) => s.verdict === "failed").map((s) => s.id).join(", ")}`;
    } else if (gaps.length) {
      verdict = "NOT PROVEN";
      reason = `the path admits a gap at ${gaps.map((n) => n.node).join(", ")} (${gaps.map((n) => n.answer).join("; ")})`;
    } else if (!live.length) {
      verdict = "NOT PROVEN";
      reason = "no implemented scenario gives evidence for it";
    } else if (live.every((s) => s.verdict === "proven")) {
      verdict = "PASS";
      reason = `all ${live.length} implemented scenario(s) proven at this commit`;
    } else {
      const open = live.filter((s) => s.verdict !== "proven");
      verdict = "NOT PROVEN";
      reason = `${open.length} of ${live.length} scenario(s) not proven (${open.filter((s) => s.verdict === "waived").length} waived): ${open.slice(0, 6).map((s) => s.id).join(", ")}${open.length > 6 ? ", ..." : ""}`;
    }
    return { id: en.id, title: en.title, confirmed: en.confirmed, path, verdict, justification: a.justification, reason, scenarios };
  });
  const totals = { PASS: 0, FAIL: 0, "NOT APPLICABLE": 0, "NOT PROVEN": 0 } as Record<En18031Verdict, number>;
  for (const e of entries) totals[e.verdict]++;
  return { standard: data.standard, revision: report.revision, generatedAt, note: data.note, entries, totals, securityAssets: data.assets?.security ?? [], networkAssets: networkAssets(catalogue) };
}

/** Every exposed interface and port: the baseline table of the firewall spec plus what provisioning can open. */
export function networkAssets(catalogue: Catalogue): NetworkAsset[] {
  const table = catalogue.tables.find((t) => t.id === "baseline-inbound");
  const rows = (table?.rows ?? []) as unknown as Record<string, string>[];
  return [
    ...rows.map((r) => ({ interface: r.interface ?? "", protocol: r.protocol ?? "", ports: r.ports ?? "", purpose: r.purpose ?? "", exposure: r.interface === "tun0" ? "recovery tunnel, when connected" : "always (LAN)" })),
    { interface: "eth0", protocol: "tcp/udp", ports: "as provisioned", purpose: "ports listed in config.toml [firewall.inbound] (fw.provisioned)", exposure: "only when provisioned" },
    { interface: "eth0", protocol: "tcp", ports: "22", purpose: "SSH on the WAN (fw.ssh-wan)", exposure: "only while /data/config/ssh-wan-enabled exists on the device" },
  ];
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The technical file as Markdown: what an assessor reads and signs. */
export function technicalFileMarkdown(tf: TechnicalFile): string {
  const out: string[] = [];
  out.push(`# ${tf.standard} technical file: AtomicNix`, "");
  out.push(`Commit ${tf.revision ?? "(unknown)"}, generated ${tf.generatedAt} by \`atomicnix conformance report\` from \`specs/en18031-part1.json\`, \`generated/trace.json\` and the recorded evidence.`, "");
  out.push(`> ${tf.note}`, "");
  out.push(`> Titles marked **(title to confirm)** carry \`confirmed: false\`: they come from secondary sources and still need checking against the standard text, as do the decision-node questions, which paraphrase the standard.`, "");
  out.push(`Verdicts: ${Object.entries(tf.totals).map(([k, v]) => `${v} ${k}`).join(", ")}.`, "");
  out.push("| ID | title | verdict | reason |", "|---|---|---|---|");
  for (const e of tf.entries) out.push(`| ${e.id} | ${cell(e.title)}${e.confirmed ? "" : " (title to confirm)"} | **${e.verdict}** | ${cell(e.reason)} |`);
  out.push("", "## Asset inventory", "", "### Security assets", "", "| asset | where | protection | requirements |", "|---|---|---|---|");
  for (const a of tf.securityAssets) out.push(`| ${cell(a.name)} | ${cell(a.where)} | ${cell(a.protection)} | ${a.requirements.join(", ")} |`);
  out.push("", "### Network assets (exposed interfaces and ports)", "", "| interface | protocol | ports | purpose | exposed |", "|---|---|---|---|---|");
  for (const n of tf.networkAssets) out.push(`| ${n.interface} | ${n.protocol} | ${cell(n.ports)} | ${cell(n.purpose)} | ${cell(n.exposure)} |`);
  for (const e of tf.entries) {
    out.push("", `## ${e.id}: ${e.title}${e.confirmed ? "" : " (title to confirm)"}`, "", `**Verdict: ${e.verdict}**: ${e.reason}.`, "", `Justification: ${e.justification}`, "", "Decision-tree path:", "");
    for (const n of e.path) {
      out.push(`- **${n.node}** ${n.question} **${n.answer}**`);
      for (const ev of n.evidence) out.push(`  - \`${ev.id}\` ${ev.title}${ev.status === "planned" ? " (planned)" : ""} (${ev.source}): ${ev.text}`);
    }
    out.push("", "| scenario | level | result | run | target | commit | image |", "|---|---|---|---|---|---|---|");
    for (const s of e.scenarios) out.push(`| \`${s.id}\` | ${s.level} | ${s.verdict}${s.waiver ? ` (waiver: ${cell(s.waiver)})` : s.verdict !== "proven" && s.detail ? ` (${cell(s.detail)})` : ""} | ${s.runId ?? ""} | ${s.target ?? ""} | ${s.revision?.slice(0, 12) ?? ""} | ${s.imageHash ?? ""} |`);
  }
  return out.join("\n") + "\n";
}
