import { extractSpecDocument } from "../spec/extract.js";
import { DiagnosticSink, type Diagnostic } from "../spec/diagnostics.js";
import { metadataValue, type Requirement, type SpecDocument } from "../spec/model.js";

export interface AppliedDelta {
  source: string;
  counts: { renamed: number; removed: number; modified: number; added: number };
  /** at their place in the delta spec */
  problems: Diagnostic[];
}

interface Block {
  name: string;
  text: string;
  requirement: Requirement;
}

const key = (name: string) => name.trim().toLowerCase();

function blockText(doc: SpecDocument, req: Requirement): string {
  return doc.source.slice(req.start, req.end).trim() + "\n";
}

function scenarioKeys(req: Requirement): { name: string; id?: string }[] {
  return req.scenarios.map((s) => {
    const id = metadataValue(s.metadata, "ID")?.value;
    return id ? { name: s.name, id } : { name: s.name };
  });
}

function placeholderPurpose(change: string): string {
  return `TBD - created by archiving change ${change}. Update Purpose after archive.`;
}

/**
 * Applies one delta spec to a capability's main spec, in OpenSpec's order: RENAMED,
 * REMOVED, MODIFIED, ADDED. Works on the source text so everything outside the
 * touched requirement blocks stays byte-for-byte as written.
 */
export function applyDeltas(capability: string, baseSource: string | undefined, delta: SpecDocument, change: string): AppliedDelta {
  const sink = new DiagnosticSink(delta.file);
  const problems = sink.items;
  const counts = { renamed: 0, removed: 0, modified: 0, added: 0 };
  const base = baseSource === undefined ? undefined : extractSpecDocument(`${capability}/spec.md`, baseSource);
  if (delta.deltas.length === 0) return { source: baseSource ?? "", counts, problems };
  if (!base) {
    for (const section of delta.deltas) {
      if (section.operation !== "ADDED") sink.report("delta-new-capability", section.at, `capability "${capability}" does not exist: a new capability accepts only ADDED requirements, not ${section.operation}`);
    }
  } else if (!base.requirementsSection) {
    sink.report("spec-structure", { line: 1, column: 1 }, `${capability}/spec.md has no "## Requirements" section to apply deltas to`);
  }
  if (problems.length) return { source: baseSource ?? "", counts, problems };

  const blocks: Block[] = base ? base.requirements.map((r) => ({ name: r.name, text: blockText(base, r), requirement: r })) : [];
  const find = (name: string) => blocks.findIndex((b) => key(b.name) === key(name));
  const sections = (op: string) => delta.deltas.filter((d) => d.operation === op);

  for (const section of sections("RENAMED")) {
    for (const r of section.renames) {
      const i = find(r.from);
      if (i < 0) sink.report("delta-target", r.at, `RENAMED: "${r.from}" is not a requirement of ${capability}`);
      else if (find(r.to) >= 0) sink.report("delta-target", r.at, `RENAMED: "${r.to}" already exists in ${capability}`);
      else {
        const b = blocks[i]!;
        b.text = b.text.replace(/^###\s*Requirement:[^\n]*/, `### Requirement: ${r.to}`);
        b.name = r.to;
        counts.renamed++;
      }
    }
  }
  for (const section of sections("REMOVED")) {
    for (const req of section.requirements) {
      const i = find(req.name);
      if (i < 0) sink.report("delta-target", req.at, `REMOVED: "${req.name}" is not a requirement of ${capability}`);
      else {
        blocks.splice(i, 1);
        counts.removed++;
      }
    }
  }
  for (const section of sections("MODIFIED")) {
    for (const req of section.requirements) {
      const i = find(req.name);
      if (i < 0) {
        sink.report("delta-target", req.at, `MODIFIED: "${req.name}" is not a requirement of ${capability}`);
        continue;
      }
      const old = blocks[i]!;
      const kept = scenarioKeys(req);
      const dropped = scenarioKeys(old.requirement).filter((s) => !kept.some((k) => key(k.name) === key(s.name) || (s.id !== undefined && k.id === s.id)));
      if (dropped.length) {
        sink.report("delta-drops-scenario", req.at, `MODIFIED "${req.name}" drops scenario(s) ${dropped.map((d) => `"${d.name}"`).join(", ")}`);
        continue;
      }
      const oldId = metadataValue(old.requirement.metadata, "ID")?.value;
      const newId = metadataValue(req.metadata, "ID")?.value;
      if (oldId && newId && oldId !== newId) {
        sink.report("id-stable", req.at, `MODIFIED "${req.name}" changes the ID from "${oldId}" to "${newId}"`);
        continue;
      }
      blocks[i] = { name: old.name, text: blockText(delta, req).replace(/^###\s*Requirement:[^\n]*/, `### Requirement: ${old.name}`), requirement: req };
      counts.modified++;
    }
  }
  for (const section of sections("ADDED")) {
    for (const req of section.requirements) {
      if (find(req.name) >= 0) {
        sink.report("delta-target", req.at, `ADDED: "${req.name}" already exists in ${capability}`);
        continue;
      }
      blocks.push({ name: req.name, text: blockText(delta, req), requirement: req });
      counts.added++;
    }
  }
  if (problems.length) return { source: baseSource ?? "", counts, problems };

  const body = blocks.map((b) => b.text).join("\n");
  if (!base) {
    const purpose = delta.purpose?.text || placeholderPurpose(change);
    return { source: `# ${capability} Specification\n\n## Purpose\n${purpose}\n\n## Requirements\n\n${body}`, counts, problems };
  }
  const section = base.requirementsSection!;
  const head = base.source.slice(0, section.contentStart).replace(/\s*$/, "\n\n");
  const tail = base.source.slice(section.end);
  return { source: head + body + (tail ? "\n" + tail : ""), counts, problems };
}
