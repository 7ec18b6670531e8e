import { readFileSync } from "node:fs";
import { validatorSource } from "../schema/standalone.js";
import { fileURLToPath } from "node:url";
import { compareProblems } from "../../lib/problem.js";
import { DiagnosticSink, type Diagnostic } from "../spec/diagnostics.js";
import { loadSpecDocument } from "../spec/document-cache.js";
import type { Level } from "../../lib/levels.js";
import type { Requirement, SpecDocument } from "../spec/model.js";
import { checkChangeRules, checkDelta, checkMainSpec, checkRequirement, type CheckedRequirement, type RuleContext, type RuleSet } from "../spec/rules.js";
import { compileDataTable, compileSchemaBlock, type CompiledSchema, type CompiledTable } from "../schema/table-schema.js";
import { discoverCorpus, type ChangeFiles, type CorpusFiles, type Layout } from "./discover.js";
import { checkOpenSpecRules } from "./check-openspec.js";
import { inLastCommit } from "./git-history.js";
import { IdIndex, type Loc } from "./id-index.js";
import type { OpenSpecItem } from "../openspec/validate-root.js";

interface Step {
  keyword: string;
  text: string;
}

export interface CatalogueScenario {
  id: string;
  title: string;
  requirement: string;
  capability: string;
  level: Level;
  status: "planned" | "implemented";
  planStep?: string;
  steps: Step[];
  file: string;
  line: number;
}

export interface CatalogueRequirement {
  id: string;
  title: string;
  capability: string;
  status: "planned" | "implemented";
  en18031: string[];
  scenarios: string[];
  file: string;
  line: number;
}

export interface Catalogue {
  capabilities: { name: string; prefix: string; file: string; requirements: string[] }[];
  requirements: CatalogueRequirement[];
  scenarios: CatalogueScenario[];
  schemas: CompiledSchema[];
  tables: CompiledTable[];
  en18031: { id: string; title: string; confirmed: boolean }[];
}

export interface FileReport {
  file: string;
  kind: "spec" | "delta" | "proposal" | "data";
  requirements: number;
  scenarios: number;
  errors: number;
  warnings: number;
}

export interface CheckResult {
  root: string;
  layout: Layout;
  rules: RuleSet;
  files: FileReport[];
  diagnostics: Diagnostic[];
  totals: { files: number; capabilities: number; changes: number; requirements: number; scenarios: number; errors: number; warnings: number };
  catalogue: Catalogue;
  /** parsed main specs by capability, for archive and tooling */
  documents: Map<string, SpecDocument>;
  /** under --rules openspec: OpenSpec's items with their strict verdicts */
  items?: OpenSpecItem[];
}

const BUILTIN_EN18031 = fileURLToPath(new URL("../../specs/en18031-part1.json", import.meta.url));

function loadEn18031(file: string | undefined, sinks: DiagnosticSink[]): Catalogue["en18031"] {
  const path = file ?? BUILTIN_EN18031;
  const sink = new DiagnosticSink(path);
  sinks.push(sink);
  try {
    const data = JSON.parse(readFileSync(path, "utf8")) as { requirements?: unknown };
    if (!Array.isArray(data.requirements)) throw new Error('expected {"requirements": [...]}');
    return data.requirements.map((r, i) => {
      const rec = r as { id?: unknown; title?: unknown; confirmed?: unknown };
      if (typeof rec.id !== "string" || typeof rec.title !== "string") throw new Error(`requirements[${i}] needs string id and title`);
      return { id: rec.id, title: rec.title, confirmed: rec.confirmed === true };
    });
  } catch (e) {
    sink.report("en18031-data", { line: 1, column: 1 }, `cannot read EN 18031 IDs: ${(e as Error).message}`);
    return [];
  }
}

/**
 * The per-file part of a check (parse and the file-local rules), kept for the file's
 * last source: a re-check after an edit (the language server, `--watch`) redoes only
 * the edited file; cross-file rules (IDs, deltas) always run on the whole corpus.
 */
/** Catalogue entries of memoized scenarios, so an unchanged file adds no garbage per re-check. */
const catalogueEntries = new WeakMap<CheckedRequirement["scenarios"][number], CatalogueScenario>();
const fileMemo = new Map<string, { source: string; key: string; doc: SpecDocument; checked: CheckedRequirement[]; items: Diagnostic[] }>();

function checkFile(file: { display: string; source: string; unsaved?: boolean }, sink: DiagnosticSink, rules: RuleSet, enIds: ReadonlySet<string>): { doc: SpecDocument; checked: CheckedRequirement[] } {
  const key = `${rules}\0${[...enIds].join(",")}`;
  const memo = fileMemo.get(file.display);
  if (memo && memo.source === file.source && memo.key === key) {
    sink.items.push(...memo.items);
    return memo;
  }
  const local = new DiagnosticSink(file.display);
  const doc = loadSpecDocument(file.display, file.source, { persist: !file.unsaved });
  const checked = checkMainSpec(doc, { sink: local, source: file.source, rules, en18031: enIds });
  fileMemo.set(file.display, { source: file.source, key, doc, checked, items: local.items });
  sink.items.push(...local.items);
  return { doc, checked };
}

/** A file's catalogue entries and ID-prefix findings, built while every corpus ID was unique. */
const fileCatalogue = new WeakMap<readonly CheckedRequirement[], { name: string; display: string; capEntry: Catalogue["capabilities"][number]; requirements: CatalogueRequirement[]; scenarios: CatalogueScenario[]; prefixFindings: [{ line: number; column: number }, string][] }>();
/** ID occurrence counts per corpus root, kept between re-checks of the same corpus. */
const idIndexes = new Map<string, IdIndex>();

const where = (l: Loc) => `${l.file}:${l.line}`;

/**
 * A duplicate ID is blamed on the occurrence an author just added: the one that was
 * not in the last commit while the other was; otherwise (both new, both old, no git)
 * the later one.
 */
function reportDuplicate(sinks: Map<string, { sink: DiagnosticSink; path: string }>, id: string, firstLoc: Loc, later: { sink: DiagnosticSink; file: { display: string; path: string }; at: { line: number; column: number } }): void {
  const firstAt = where(firstLoc);
  const first = sinks.get(firstLoc.file);
  const needle = `\`${id}\``;
  const laterAt = `${later.file.display}:${later.at.line}`;
  if (first && inLastCommit(later.file.path, needle) === true && inLastCommit(first.path, needle) === false) {
    first.sink.report("id-unique", { line: firstLoc.line, column: 1 }, `ID "${id}" is new here but already used at ${laterAt} (in the last commit); give this one a new ID`);
    return;
  }
  later.sink.report("id-unique", later.at, `ID "${id}" is already used at ${firstAt}`);
}

/** Checks one change: each delta's blocks, its grammar and fit to the current baseline, then the change as a whole. */
function checkChange(change: ChangeFiles, base: Map<string, { doc: SpecDocument; checked: CheckedRequirement[] }>, ctx: Omit<RuleContext, "sink" | "source">, sinks: DiagnosticSink[], files: FileReport[], baselineId: (id: string) => string | undefined): void {
  const proposalSink = new DiagnosticSink(change.proposal?.display ?? `${change.dir}/proposal.md`);
  sinks.push(proposalSink);
  files.push({ file: proposalSink.file, kind: "proposal", requirements: 0, scenarios: 0, errors: 0, warnings: 0 });
  const docs: SpecDocument[] = [];
  for (const delta of change.deltas) {
    const sink = new DiagnosticSink(delta.file.display);
    sinks.push(sink);
    const doc = loadSpecDocument(delta.file.display, delta.file.source);
    docs.push(doc);
    const rctx: RuleContext = { ...ctx, sink, source: delta.file.source };
    const target = base.get(delta.capability);
    const baseByName = new Map(target?.doc.requirements.map((r, i) => [r.name.toLowerCase(), target.checked[i]!]) ?? []);
    const report: FileReport = { file: delta.file.display, kind: "delta", requirements: 0, scenarios: 0, errors: 0, warnings: 0 };
    files.push(report);
    const checked = new Map<Requirement, CheckedRequirement>();
    for (const section of doc.deltas) {
      if (section.operation === "RENAMED" || section.operation === "REMOVED") continue;
      for (const req of section.requirements) {
        const c = checkRequirement(req, rctx);
        checked.set(req, c);
        report.requirements++;
        report.scenarios += c.scenarios.length;
      }
    }
    checkDelta(doc, sink, ctx.rules, { capability: delta.capability, ...(target ? { target } : {}), baseByName, checked, baselineId });
  }
  checkChangeRules({ name: change.name, ...(change.proposal ? { proposal: change.proposal } : {}), deltas: docs }, proposalSink, ctx.rules);
}

export interface CheckOptions {
  rules?: RuleSet;
  /**
   * Generate each schema's ajv standalone validator (default). `spec check` turns it
   * off: code generation costs more than reading the whole corpus, and `spec compile`
   * (run by CI as `compile --check`) still proves every schema compiles.
   */
  validators?: boolean;
}

export function checkCorpus(path: string, options: CheckOptions = {}): CheckResult {
  if (options.rules === "openspec") return checkOpenSpecRules(path);
  return checkDiscovered(discoverCorpus(path), options);
}

export function checkDiscovered(corpus: CorpusFiles, options: CheckOptions = {}): CheckResult {
  const rules = options.rules ?? "atomicnix";
  const sinks: DiagnosticSink[] = [];
  const files: FileReport[] = [];
  const en18031 = rules === "atomicnix" ? loadEn18031(corpus.en18031File, sinks) : [];
  const enIds = new Set(en18031.map((e) => e.id));
  const catalogue: Catalogue = { capabilities: [], requirements: [], scenarios: [], schemas: [], tables: [], en18031 };
  const documents = new Map<string, SpecDocument>();
  const base = new Map<string, { doc: SpecDocument; checked: CheckedRequirement[] }>();
  // ID -> "file:line" of its first occurrence
  const requirementIds = new Map<string, Loc>();
  const scenarioIds = new Map<string, Loc>();
  const sinkFor = new Map<string, { sink: DiagnosticSink; path: string }>();
  const schemaIds = new Map<string, string>();

  const parsed = corpus.capabilities.map(({ file }) => {
    const sink = new DiagnosticSink(file.display);
    sinks.push(sink);
    sinkFor.set(file.display, { sink, path: file.path });
    return { sink, ...checkFile(file, sink, rules, enIds) };
  });
  // With every ID unique (the usual state while editing) no ID rule can fire: the
  // per-ID maps below are skipped and IDs are located through the kept index.
  // A one-shot check does not pay for the index: it is filled from the first re-check on.
  let index: IdIndex | undefined;
  if (rules === "atomicnix") {
    const kept = idIndexes.get(corpus.root);
    if (!kept) idIndexes.set(corpus.root, new IdIndex());
    else if (kept.update(new Map(corpus.capabilities.map(({ file }, k) => [file.display, parsed[k]!])))) index = kept;
  }
  const unique = index !== undefined;

  for (const [k, { name, file }] of corpus.capabilities.entries()) {
    const { sink, doc, checked } = parsed[k]!;
    documents.set(name, doc);
    base.set(name, { doc, checked });
    const report: FileReport = { file: file.display, kind: "spec", requirements: checked.length, scenarios: checked.reduce((n, r) => n + r.scenarios.length, 0), errors: 0, warnings: 0 };
    files.push(report);
    if (rules !== "atomicnix") continue;
    // With unique IDs a file's catalogue part depends on the file alone: an unchanged
    // file's part is reused instead of being rebuilt entry by entry.
    const reuse = unique ? fileCatalogue.get(checked) : undefined;
    if (reuse && reuse.name === name && reuse.display === file.display) {
      catalogue.capabilities.push(reuse.capEntry);
      for (const r of reuse.requirements) catalogue.requirements.push(r);
      for (const sc of reuse.scenarios) catalogue.scenarios.push(sc);
      for (const [at, message] of reuse.prefixFindings) sink.report("id-prefix", at, message);
    } else {
      const firstRequirement = catalogue.requirements.length;
      const firstScenario = catalogue.scenarios.length;
      const prefixFindings: [{ line: number; column: number }, string][] = [];
      const prefixes = new Map<string, number>();
      const head = (id: string) => {
        const dot = id.indexOf(".");
        return dot < 0 ? id : id.slice(0, dot);
      };
      for (const req of checked) if (req.id) prefixes.set(head(req.id), (prefixes.get(head(req.id)) ?? 0) + 1);
      const prefix = [...prefixes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? name;
      const capEntry = { name, prefix, file: file.display, requirements: [] as string[] };
      catalogue.capabilities.push(capEntry);
      checked.forEach((req, i) => {
        const at = doc.requirements[i]!.at;
        if (!req.id) return;
        if (head(req.id) !== prefix) {
          const message = `requirement ID "${req.id}" should start with "${prefix}." like the rest of ${name}`;
          sink.report("id-prefix", at, message);
          prefixFindings.push([at, message]);
        }
        if (!unique) {
          const dup = requirementIds.get(req.id) ?? scenarioIds.get(req.id);
          if (dup) {
            reportDuplicate(sinkFor, req.id, dup, { sink, file, at });
            return;
          }
          requirementIds.set(req.id, { file: file.display, line: at.line });
        }
        capEntry.requirements.push(req.id);
        const entry: CatalogueRequirement = { id: req.id, title: req.name, capability: name, status: req.status, en18031: req.en18031, scenarios: [], file: file.display, line: at.line };
        catalogue.requirements.push(entry);
        req.scenarios.forEach((sc, j) => {
          const scAt = doc.requirements[i]!.scenarios[j]!.at;
          if (!sc.id) return;
          if (!unique) {
            const dupSc = scenarioIds.get(sc.id) ?? requirementIds.get(sc.id);
            if (dupSc) {
              reportDuplicate(sinkFor, sc.id, dupSc, { sink, file, at: scAt });
              return;
            }
            scenarioIds.set(sc.id, { file: file.display, line: scAt.line });
          }
          if (!sc.level) return;
          entry.scenarios.push(sc.id);
          let item = catalogueEntries.get(sc);
          if (!item || item.capability !== name || item.requirement !== req.id || item.file !== file.display) {
            item = {
              id: sc.id,
              title: sc.name,
              requirement: req.id!,
              capability: name,
              level: sc.level,
              status: req.status,
              ...(sc.planStep ? { planStep: sc.planStep } : {}),
              steps: sc.steps.map((s) => ({ keyword: s.keyword, text: s.text })),
              file: file.display,
              line: scAt.line,
            };
            catalogueEntries.set(sc, item);
          }
          catalogue.scenarios.push(item);
        });
      });
      if (unique) fileCatalogue.set(checked, { name, display: file.display, capEntry, requirements: catalogue.requirements.slice(firstRequirement), scenarios: catalogue.scenarios.slice(firstScenario), prefixFindings });
    }
    for (const block of doc.schemas) {
      const compiled = compileSchemaBlock(block, sink);
      if (!compiled) continue;
      try {
        // Compiling once, to standalone code, both proves the schema and yields the validator module.
        if (options.validators !== false) compiled.validator = validatorSource(compiled.schema);
      } catch (e) {
        sink.report("schema-table", block.at, `schema "${block.name}" does not compile to valid JSON Schema: ${(e as Error).message}`);
        continue;
      }
      const dup = schemaIds.get(compiled.id);
      if (dup) sink.report("id-unique", block.at, `schema/table ID "${compiled.id}" is already used at ${dup}`);
      else {
        schemaIds.set(compiled.id, `${file.display}:${block.at.line}`);
        catalogue.schemas.push(compiled);
      }
    }
    for (const block of doc.tables) {
      const compiled = compileDataTable(block, sink);
      if (!compiled) continue;
      compiled.file = file.display;
      const dup = schemaIds.get(compiled.id);
      if (dup) sink.report("id-unique", block.at, `schema/table ID "${compiled.id}" is already used at ${dup}`);
      else {
        schemaIds.set(compiled.id, `${file.display}:${block.at.line}`);
        catalogue.tables.push(compiled);
      }
    }
  }

  for (const change of corpus.changes) {
    if (change.archived) continue;
    checkChange(change, base, { rules, en18031: enIds }, sinks, files, (id) => {
      const loc = index ? index.locate(id) : (requirementIds.get(id) ?? scenarioIds.get(id));
      return loc && where(loc);
    });
  }

  const diagnostics = sinks.flatMap((s) => s.items).sort(compareProblems);
  for (const f of files) {
    f.errors = diagnostics.filter((d) => d.file === f.file && d.severity === "error").length;
    f.warnings = diagnostics.filter((d) => d.file === f.file && d.severity === "warning").length;
  }
  return {
    root: corpus.root,
    layout: corpus.layout,
    rules,
    files,
    diagnostics,
    totals: {
      files: files.length,
      capabilities: corpus.capabilities.length,
      changes: corpus.changes.filter((c) => !c.archived).length,
      requirements: files.filter((f) => f.kind === "spec").reduce((n, f) => n + f.requirements, 0),
      scenarios: files.filter((f) => f.kind === "spec").reduce((n, f) => n + f.scenarios, 0),
      errors: diagnostics.filter((d) => d.severity === "error").length,
      warnings: diagnostics.filter((d) => d.severity === "warning").length,
    },
    catalogue,
    documents,
  };
}
