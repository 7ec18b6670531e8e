/**
 * `atomicnix lsp`: a Language Server on stdio for specs/**\/*.md and test files.
 * Diagnostics as you type (the whole corpus rule set, re-reading only the edited
 * file), hover on a scenario ID (steps, binding, last result per target),
 * go-to-definition between `scenario("id", ...)` and the spec, completion of
 * scenario IDs in tests and EN 18031 IDs in specs, rename of an ID across specs,
 * tests and waivers.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { Diagnostic } from "../spec/diagnostics.js";
import { UsageError } from "../../lib/errors.js";
import { FrameReader, frame, type Message } from "./jsonrpc.js";
import { ID_AT, pathToUri, uriToPath, Workspace } from "./workspace.js";

type Pos = { line: number; character: number };
type Send = (m: Message) => void;

const SEVERITY = { error: 1, warning: 2, info: 3 } as const;

/** The dotted ID under the cursor, if any. */
export function idAt(text: string, pos: Pos): string | undefined {
  const line = text.split("\n")[pos.line] ?? "";
  for (const m of line.matchAll(ID_AT)) {
    if (m.index! <= pos.character && pos.character <= m.index! + m[0].length) return m[0];
  }
  return undefined;
}

export class SpecLanguageServer {
  private ws?: Workspace;
  private published = new Set<string>();
  /** milliseconds from the last edit to its diagnostics being sent (for the benchmark) */
  lastLatencyMs = 0;

  constructor(private readonly send: Send) {}

  private notify(method: string, params: unknown): void {
    this.send({ jsonrpc: "2.0", method, params });
  }

  handle(msg: Message): void {
    const reply = (result: unknown) => msg.id !== undefined && this.send({ jsonrpc: "2.0", id: msg.id, result });
    try {
      switch (msg.method) {
        case "initialize": {
          const p = msg.params as { rootUri?: string | null; rootPath?: string | null };
          const root = p.rootUri ? uriToPath(p.rootUri) : (p.rootPath ?? process.cwd());
          this.ws = new Workspace(root);
          reply({
            capabilities: {
              textDocumentSync: { openClose: true, change: 1, save: { includeText: false } },
              hoverProvider: true,
              definitionProvider: true,
              completionProvider: { triggerCharacters: ['"', ".", " ", ","] },
              renameProvider: true,
            },
            serverInfo: { name: "atomicnix-lsp" },
          });
          return;
        }
        case "initialized":
          this.publish();
          return;
        case "shutdown":
          reply(null);
          return;
        case "exit":
          process.exit(0);
          return;
        case "textDocument/didOpen": {
          const p = msg.params as { textDocument: { uri: string; text: string } };
          this.edit(p.textDocument.uri, p.textDocument.text);
          return;
        }
        case "textDocument/didChange": {
          const p = msg.params as { textDocument: { uri: string }; contentChanges: { text: string }[] };
          const last = p.contentChanges[p.contentChanges.length - 1];
          if (last) this.edit(p.textDocument.uri, last.text);
          return;
        }
        case "textDocument/didSave":
          return;
        case "textDocument/didClose": {
          const p = msg.params as { textDocument: { uri: string } };
          this.edit(p.textDocument.uri, undefined);
          return;
        }
        case "textDocument/hover":
          reply(this.hover(msg.params as { textDocument: { uri: string }; position: Pos }));
          return;
        case "textDocument/definition":
          reply(this.definition(msg.params as { textDocument: { uri: string }; position: Pos }));
          return;
        case "textDocument/completion":
          reply(this.completion(msg.params as { textDocument: { uri: string }; position: Pos }));
          return;
        case "textDocument/rename":
          reply(this.rename(msg.params as { textDocument: { uri: string }; position: Pos; newName: string }));
          return;
        default:
          if (msg.id !== undefined && msg.method) this.send({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: `unsupported: ${msg.method}` } });
      }
    } catch (e) {
      if (msg.id !== undefined) this.send({ jsonrpc: "2.0", id: msg.id, error: { code: -32603, message: e instanceof Error ? e.message : String(e) } });
      else this.notify("window/logMessage", { type: 1, message: `atomicnix lsp: ${e instanceof Error ? e.message : e}` });
    }
  }

  private edit(uri: string, text: string | undefined): void {
    if (!this.ws) return;
    const t = performance.now();
    if (this.ws.update(uriToPath(uri), text)) this.publish();
    this.lastLatencyMs = performance.now() - t;
  }

  /** Checks the corpus and publishes diagnostics for every spec file that has some now or had some before. */
  private publish(): void {
    const ws = this.ws!;
    const result = ws.check();
    const byFile = new Map<string, Diagnostic[]>();
    for (const d of result.diagnostics) {
      const path = ws.absolute(d.file);
      byFile.set(path, [...(byFile.get(path) ?? []), d]);
    }
    const now = new Set(byFile.keys());
    for (const path of new Set([...now, ...this.published])) {
      const list = byFile.get(path) ?? [];
      this.notify("textDocument/publishDiagnostics", {
        uri: pathToUri(path),
        diagnostics: list.map((d) => ({
          range: { start: { line: d.line - 1, character: d.column - 1 }, end: { line: d.line - 1, character: Math.max(d.column - 1, (ws.text(path)?.split("\n")[d.line - 1]?.length ?? d.column)) } },
          severity: SEVERITY[d.severity],
          source: "atomicnix",
          code: d.rule,
          message: d.message,
        })),
      });
    }
    this.published = now;
  }

  private scenarioInfo(id: string) {
    const cat = this.ws?.last?.catalogue;
    return { scenario: cat?.scenarios.find((s) => s.id === id), requirement: cat?.requirements.find((r) => r.id === id) };
  }

  private hover(p: { textDocument: { uri: string }; position: Pos }) {
    const ws = this.ws!;
    const text = ws.text(uriToPath(p.textDocument.uri)) ?? "";
    const id = idAt(text, p.position);
    if (!id) return null;
    const { scenario, requirement } = this.scenarioInfo(id);
    const lines: string[] = [];
    if (scenario) {
      lines.push(`**${scenario.title}** \`${id}\` (${scenario.level}, ${scenario.status})`, "");
      for (const s of scenario.steps) lines.push(`- **${s.keyword}** ${s.text}`);
      const tests = ws.bindingsOf(id);
      lines.push("", tests.length ? `Bound in ${tests.map((b) => `${b.file.slice(ws.root.length + 1)}:${b.line + 1}`).join(", ")}` : "Not bound by any test");
      const results = lastResults(ws.root, id);
      lines.push(results.length ? `Last results: ${results.join(", ")}` : "No recorded result");
    } else if (requirement) {
      lines.push(`**${requirement.title}** \`${id}\``, "", `EN 18031: ${requirement.en18031.join(", ") || "none"}`, `Scenarios: ${requirement.scenarios.join(", ")}`);
    } else return null;
    return { contents: { kind: "markdown", value: lines.join("\n") } };
  }

  private definition(p: { textDocument: { uri: string }; position: Pos }) {
    const ws = this.ws!;
    const path = uriToPath(p.textDocument.uri);
    const id = idAt(ws.text(path) ?? "", p.position);
    if (!id) return null;
    if (ws.isSpec(path)) {
      return ws.bindingsOf(id).map((b) => ({ uri: pathToUri(b.file), range: { start: { line: b.line, character: b.character }, end: { line: b.line, character: b.character + id.length } } }));
    }
    const { scenario, requirement } = this.scenarioInfo(id);
    const target = scenario ?? requirement;
    if (!target) return null;
    return { uri: pathToUri(ws.absolute(target.file)), range: { start: { line: target.line - 1, character: 0 }, end: { line: target.line - 1, character: 0 } } };
  }

  private completion(p: { textDocument: { uri: string }; position: Pos }) {
    const ws = this.ws!;
    const path = uriToPath(p.textDocument.uri);
    const line = (ws.text(path) ?? "").split("\n")[p.position.line] ?? "";
    const before = line.slice(0, p.position.character);
    const cat = ws.last?.catalogue;
    if (!cat) return [];
    if (ws.isSpec(path) && /^\*\*EN18031\*\*:/.test(before)) {
      return cat.en18031.map((e) => ({ label: e.id, kind: 12, detail: e.title }));
    }
    if (path.endsWith(".ts") && /scenario\(\s*"[^"]*$/.test(before)) {
      return cat.scenarios.map((s) => ({ label: s.id, kind: 12, detail: `${s.title} (${s.level})` }));
    }
    return [];
  }

  /** Renames an ID and the IDs below it (its scenarios) in specs, tests and waivers. */
  private rename(p: { textDocument: { uri: string }; position: Pos; newName: string }) {
    const ws = this.ws!;
    const id = idAt(ws.text(uriToPath(p.textDocument.uri)) ?? "", p.position);
    if (!id) return null;
    const esc = id.replace(/[.]/g, "\\.");
    const pattern = new RegExp(`(?<![a-z0-9.-])${esc}(?=\\.[a-z0-9]|[^a-z0-9.-]|\\.?$)`, "g");
    const changes: Record<string, { range: { start: Pos; end: Pos }; newText: string }[]> = {};
    for (const file of [...ws.specFiles(), ...ws.testFiles(), ws.waiversFile()]) {
      const text = ws.text(file);
      if (!text) continue;
      const edits: { range: { start: Pos; end: Pos }; newText: string }[] = [];
      text.split("\n").forEach((line, i) => {
        for (const m of line.matchAll(pattern)) edits.push({ range: { start: { line: i, character: m.index! }, end: { line: i, character: m.index! + id.length } }, newText: p.newName });
      });
      if (edits.length) changes[pathToUri(file)] = edits;
    }
    return { changes };
  }
}

/** `target=state` of the last recorded run per target, from evidence/runs. */
function lastResults(root: string, id: string): string[] {
  const out = new Map<string, string>();
  try {
    const runsDir = `${root}/evidence/runs`;
    for (const name of readdirSync(runsDir).sort()) {
      let target = "?";
      for (const line of readFileSync(`${runsDir}/${name}/events.ndjson`, "utf8").split("\n")) {
        if (!line.includes(id) && !line.includes('"run-start"')) continue;
        try {
          const e = JSON.parse(line) as { type: string; scenario?: string; state?: string; meta?: { target: string } };
          if (e.type === "run-start") target = e.meta?.target ?? "?";
          else if (e.type === "test" && e.scenario === id && e.state && !(e.state === "skipped" && out.has(target))) out.set(target, `${target}=${e.state}`);
        } catch {
          // a damaged line says nothing
        }
      }
    }
  } catch {
    // no evidence yet
  }
  return [...out.values()];
}

/** Runs the server on stdin/stdout until the client says exit. */
export function serveStdio(): Promise<number> {
  const server = new SpecLanguageServer((m) => process.stdout.write(frame(m)));
  const reader = new FrameReader((m) => server.handle(m));
  process.stdin.on("data", (c: Buffer) => reader.push(c));
  return new Promise((resolve) => process.stdin.on("end", () => resolve(0)));
}

export async function lspCommand(argv: string[]): Promise<number> {
  if (argv.length > 0 && !(argv.length === 1 && argv[0] === "--stdio")) throw new UsageError(`lsp takes no arguments (it talks LSP on stdin/stdout), not "${argv.join(" ")}"`);
  return serveStdio();
}
