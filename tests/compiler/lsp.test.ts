import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { FrameReader, frame, type Message } from "../../compiler/lsp/jsonrpc.js";
import { SpecLanguageServer } from "../../compiler/lsp/server.js";
import { pathToUri } from "../../compiler/lsp/workspace.js";
import { lspWorkspace } from "../helpers/lsp-workspace.js";
import { REPO } from "../helpers/spec-fixtures.js";

/** The server in-process, talking through real frames both ways. */
function client(root: string) {
  const got: Message[] = [];
  const server = new SpecLanguageServer((m) => reader.push(frame(m)));
  const reader = new FrameReader((m) => got.push(m));
  let id = 0;
  const send = (m: Message) => {
    // Split every frame in two to exercise the reader's buffering.
    const bytes = frame(m);
    const serverReader = new FrameReader((x) => server.handle(x));
    serverReader.push(bytes.subarray(0, 7));
    serverReader.push(bytes.subarray(7));
  };
  const request = (method: string, params: unknown) => {
    const n = ++id;
    send({ jsonrpc: "2.0", id: n, method, params });
    const r = got.find((m) => m.id === n);
    if (!r) throw new Error(`no reply to ${method}`);
    return r;
  };
  const notify = (method: string, params: unknown) => send({ jsonrpc: "2.0", method, params });
  const diagnostics = (path: string) => got.filter((m) => m.method === "textDocument/publishDiagnostics" && (m.params as { uri: string }).uri === pathToUri(path)).map((m) => (m.params as { diagnostics: { message: string; code: string; range: { start: { line: number } } }[] }).diagnostics);
  request("initialize", { rootUri: pathToUri(root), capabilities: {} });
  notify("initialized", {});
  return { request, notify, diagnostics, got, server };
}

const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle));

scenario("spec.lsp.diagnostics", { targets: ["host"] }, () => {
  const ws = lspWorkspace();
  try {
    const c = client(ws.root);
    const good = readFileSync(ws.spec, "utf8");
    c.notify("textDocument/didOpen", { textDocument: { uri: pathToUri(ws.spec), languageId: "markdown", version: 1, text: good } });
    expect(c.diagnostics(ws.spec).at(-1) ?? []).toEqual([]);
    // Typing a mistake: diagnostics for the unsaved buffer, at its line.
    const bad = good.replace("- **WHEN** it boots", "- **WEHN** it boots");
    c.notify("textDocument/didChange", { textDocument: { uri: pathToUri(ws.spec), version: 2 }, contentChanges: [{ text: bad }] });
    const found = c.diagnostics(ws.spec).at(-1)!;
    expect(found).toHaveLength(1);
    expect(found[0]!.code).toBe("scenario-steps");
    expect(found[0]!.message).toMatch(/did you mean \*\*WHEN\*\*/);
    expect(found[0]!.range.start.line).toBe(lineOf(bad, "**WEHN**"));
    expect(readFileSync(ws.spec, "utf8")).toBe(good);
    // A duplicate ID across files shows up in the file the edit made wrong.
    const other = readFileSync(ws.other, "utf8").replace("`other.req-1.case-0`", "`demo.req-1.case-0`");
    c.notify("textDocument/didOpen", { textDocument: { uri: pathToUri(ws.other), languageId: "markdown", version: 1, text: other } });
    expect(c.diagnostics(ws.other).at(-1)!.map((d) => d.code)).toContain("id-unique");
    c.notify("textDocument/didChange", { textDocument: { uri: pathToUri(ws.spec), version: 3 }, contentChanges: [{ text: good }] });
    expect(c.diagnostics(ws.spec).at(-1)).toEqual([]);
  } finally {
    rmSync(ws.root, { recursive: true, force: true });
  }
});

scenario("spec.lsp.navigation", { targets: ["host"] }, () => {
  const ws = lspWorkspace();
  try {
    const c = client(ws.root);
    const spec = readFileSync(ws.spec, "utf8");
    const idLine = lineOf(spec, "`demo.req-1.case-0`");
    const hover = c.request("textDocument/hover", { textDocument: { uri: pathToUri(ws.spec) }, position: { line: idLine, character: 10 } }).result as { contents: { value: string } };
    expect(hover.contents.value).toContain("**WHEN** it boots");
    expect(hover.contents.value).toContain("**THEN** the LAN comes up");
    expect(hover.contents.value).toMatch(/Bound in tests\/demo\.test\.ts:3/);
    expect(hover.contents.value).toMatch(/No recorded result|Last results/);
    // test -> spec
    const test = readFileSync(ws.test, "utf8");
    const def = c.request("textDocument/definition", { textDocument: { uri: pathToUri(ws.test) }, position: { line: lineOf(test, "demo.req-1.case-0"), character: 12 } }).result as { uri: string; range: { start: { line: number } } };
    expect(def.uri).toBe(pathToUri(ws.spec));
    expect(def.range.start.line).toBe(lineOf(spec, "#### Scenario: Boots"));
    // spec -> test
    const back = c.request("textDocument/definition", { textDocument: { uri: pathToUri(ws.spec) }, position: { line: idLine, character: 10 } }).result as { uri: string; range: { start: { line: number } } }[];
    expect(back.map((l) => [l.uri, l.range.start.line])).toEqual([[pathToUri(ws.test), lineOf(test, "demo.req-1.case-0")]]);
  } finally {
    rmSync(ws.root, { recursive: true, force: true });
  }
});

scenario("spec.lsp.completion-rename", { targets: ["host"] }, () => {
  const ws = lspWorkspace();
  try {
    const c = client(ws.root);
    const test = readFileSync(ws.test, "utf8");
    const last = test.split("\n").lastIndexOf('scenario("');
    expect(last).toBeGreaterThanOrEqual(0);
    const items = c.request("textDocument/completion", { textDocument: { uri: pathToUri(ws.test) }, position: { line: last, character: 'scenario("'.length } }).result as { label: string }[];
    expect(items.map((i) => i.label)).toEqual(expect.arrayContaining(["demo.req-1.case-0", "demo.req-2.case-0", "other.req-1.case-0"]));
    const spec = readFileSync(ws.spec, "utf8");
    const enLine = lineOf(spec, "**EN18031**: none");
    const en = c.request("textDocument/completion", { textDocument: { uri: pathToUri(ws.spec) }, position: { line: enLine, character: "**EN18031**: ".length } }).result as { label: string }[];
    expect(en).toHaveLength(33);
    expect(en.map((i) => i.label)).toContain("ACM-1");
    // Rename a requirement ID: the requirement, its scenarios, the test binding and the waiver.
    const reqLine = lineOf(spec, "`demo.req-1`");
    const edit = c.request("textDocument/rename", { textDocument: { uri: pathToUri(ws.spec) }, position: { line: reqLine, character: 9 }, newName: "demo.boot" }).result as { changes: Record<string, { range: { start: { line: number; character: number } }; newText: string }[]> };
    expect(Object.keys(edit.changes).sort()).toEqual([pathToUri(ws.waivers), pathToUri(ws.spec), pathToUri(ws.test)].sort());
    expect(edit.changes[pathToUri(ws.spec)]!.map((e) => e.range.start.line)).toEqual([reqLine, lineOf(spec, "`demo.req-1.case-0`")]);
    expect(edit.changes[pathToUri(ws.test)]).toHaveLength(1);
    expect(edit.changes[pathToUri(ws.waivers)]).toHaveLength(1);
    // demo.req-10 or demo.req-1x would not be touched: the match stops at the ID's end.
    expect(Object.values(edit.changes).flat().every((e) => e.newText === "demo.boot")).toBe(true);
  } finally {
    rmSync(ws.root, { recursive: true, force: true });
  }
});

scenario("spec.lsp.neovim", { targets: ["host"], timeout: 120_000 }, () => {
  const ws = lspWorkspace();
  try {
    const out = join(ws.root, "nvim-result.json");
    const lua = join(ws.root, "client.lua");
    writeFileSync(
      lua,
      `
local out = ${JSON.stringify(out)}
local result = {}
local client_id = vim.lsp.start_client({
  name = "atomicnix",
  cmd = { ${JSON.stringify(process.execPath)}, ${JSON.stringify(join(REPO, "bin", "atomicnix.js"))}, "lsp" },
  root_dir = ${JSON.stringify(ws.root)},
})
vim.cmd("edit " .. ${JSON.stringify(ws.spec)})
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, client_id)
local function wait_diag(pred)
  return vim.wait(20000, function() return pred(vim.diagnostic.get(buf)) end, 50)
end
result.clean = wait_diag(function(d) return #d == 0 end) and vim.wait(20000, function() return vim.lsp.get_client_by_id(client_id).initialized end, 50)
-- type a typo into the buffer (not saved)
local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
for i, l in ipairs(lines) do if l == "- **WHEN** it boots" then vim.api.nvim_buf_set_lines(buf, i - 1, i, false, { "- **WEHN** it boots" }); result.typo_line = i - 1 end end
result.got_diag = wait_diag(function(d) return #d > 0 end)
local d = vim.diagnostic.get(buf)[1]
if d then result.message = d.message; result.line = d.lnum end
-- hover on the scenario ID
for i, l in ipairs(lines) do if l:find("demo.req-1.case-0", 1, true) then result.id_line = i - 1 end end
local hover = vim.lsp.buf_request_sync(buf, "textDocument/hover", { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = result.id_line, character = 10 } }, 10000)
for _, r in pairs(hover or {}) do if r.result then result.hover = r.result.contents.value end end
local def = vim.lsp.buf_request_sync(buf, "textDocument/definition", { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = result.id_line, character = 10 } }, 10000)
for _, r in pairs(def or {}) do if r.result and r.result[1] then result.definition = r.result[1].uri end end
local f = io.open(out, "w"); f:write(vim.fn.json_encode(result)); f:close()
vim.lsp.stop_client(client_id)
vim.cmd("qa!")
`,
    );
    mkdirSync(join(ws.root, ".nvim"), { recursive: true });
    const r = spawnSync("nvim", ["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", `luafile ${lua}`], { encoding: "utf8", timeout: 90_000, env: { ...process.env, XDG_STATE_HOME: join(ws.root, ".nvim"), XDG_DATA_HOME: join(ws.root, ".nvim") } });
    expect(r.error).toBeUndefined();
    const result = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
    expect(result.clean).toBe(true);
    expect(result.got_diag).toBe(true);
    expect(result.message).toMatch(/did you mean \*\*WHEN\*\*/);
    expect(result.line).toBe(result.typo_line);
    expect(result.hover).toContain("**THEN** the LAN comes up");
    expect(result.definition).toBe(pathToUri(ws.test));
  } finally {
    rmSync(ws.root, { recursive: true, force: true });
  }
});

scenario("spec.lsp.watch", { targets: ["host"], timeout: 60_000 }, async () => {
  const { spawn } = await import("node:child_process");
  const ws = lspWorkspace();
  const child = spawn(process.execPath, [join(REPO, "bin", "atomicnix.js"), "spec", "check", join(ws.root, "specs"), "--watch", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const reports: { ok: boolean; diagnostics: { rule: string }[] }[] = [];
    let buffer = "";
    child.stdout.on("data", (c: Buffer) => {
      buffer += c.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        reports.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
      }
    });
    const waitFor = async (n: number) => {
      for (let i = 0; i < 400 && reports.length < n; i++) await new Promise((r) => setTimeout(r, 50));
      expect(reports.length).toBeGreaterThanOrEqual(n);
    };
    await waitFor(1);
    expect(reports[0]!.ok).toBe(true);
    writeFileSync(ws.spec, readFileSync(ws.spec, "utf8").replace("- **WHEN** it boots", "- **WEHN** it boots"));
    await waitFor(2);
    expect(reports.at(-1)!.ok).toBe(false);
    expect(reports.at(-1)!.diagnostics.map((d) => d.rule)).toEqual(["scenario-steps"]);
  } finally {
    child.kill("SIGTERM");
    rmSync(ws.root, { recursive: true, force: true });
  }
});
