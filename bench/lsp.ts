// Edit-to-diagnostics latency of `atomicnix lsp` on a 10,000-scenario corpus: the
// server in-process, a didChange per edit, timed until its publishDiagnostics are
// written (the server answers synchronously). Prints, asserts nothing.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { frame, type Message } from "../compiler/lsp/jsonrpc.js";
import { SpecLanguageServer } from "../compiler/lsp/server.js";
import { pathToUri } from "../compiler/lsp/workspace.js";
import { writeSyntheticCorpus } from "./synthetic-corpus.js";

export function lspLatencyBench(scenarios = 10_000, edits = 20): void {
  const root = mkdtempSync(join(tmpdir(), "atomicnix-bench-lsp-"));
  try {
    writeSyntheticCorpus(join(root, "specs"), scenarios, join(import.meta.dirname, "..", "specs", "en18031-part1.json"));
    let published = 0;
    const server = new SpecLanguageServer((m: Message) => {
      frame(m);
      if (m.method === "textDocument/publishDiagnostics") published++;
    });
    server.handle({ jsonrpc: "2.0", id: 1, method: "initialize", params: { rootUri: pathToUri(root), capabilities: {} } });
    const t0 = performance.now();
    server.handle({ jsonrpc: "2.0", method: "initialized", params: {} });
    const first = performance.now() - t0;
    const file = join(root, "specs", "cap7", "spec.md");
    const uri = pathToUri(file);
    const text = readFileSync(file, "utf8");
    server.handle({ jsonrpc: "2.0", method: "textDocument/didOpen", params: { textDocument: { uri, languageId: "markdown", version: 1, text } } });
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < edits; i++) {
      // alternate a real finding (missing SHALL) and its fix, like typing and correcting
      const edited = i % 2 === 0 ? text.replace("The gateway SHALL satisfy synthetic requirement 3", `The gateway satisfies synthetic requirement 3 (${i})`) : text.replace("under all conditions", `under all conditions ${i}`);
      const before = published;
      const t = performance.now();
      const c = process.cpuUsage();
      server.handle({ jsonrpc: "2.0", method: "textDocument/didChange", params: { textDocument: { uri, version: i + 2 }, contentChanges: [{ text: edited }] } });
      times.push(performance.now() - t);
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1000);
      if (published === before) throw new Error("no diagnostics published after an edit");
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const med = (xs: number[]) => xs[Math.floor(xs.length / 2)]!.toFixed(1);
    console.log(`\n== atomicnix lsp, ${scenarios} scenarios in ${Math.ceil(scenarios / 200)} files: first full check ${first.toFixed(0)} ms; edit -> diagnostics median ${med(times)} ms wall (${med(cpu)} ms CPU), max ${times[times.length - 1]!.toFixed(1)} ms (${edits} edits; wall includes waiting for a CPU on a shared machine)`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) lspLatencyBench();
