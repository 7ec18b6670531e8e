import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { discoverCorpus } from "../corpus/discover.js";

const OPENSPEC_BIN = fileURLToPath(new URL("../../node_modules/@fission-ai/openspec/bin/openspec.js", import.meta.url));

export interface OpenSpecResult {
  exitCode: number;
  report: { items: { id: string; type: string; valid: boolean; issues: { level: string; path: string; message: string }[] }[]; summary: { totals: { items: number; passed: number; failed: number } } };
  stderr: string;
}

/** Copies a spec tree of either layout into a fresh `<tmp>/openspec/` root, as the OpenSpec CLI expects. */
export function stageAsOpenSpec(specsPath: string): string {
  const corpus = discoverCorpus(specsPath);
  const dir = mkdtempSync(join(tmpdir(), "atomicnix-openspec-"));
  const root = join(dir, "openspec");
  for (const c of corpus.capabilities) {
    mkdirSync(join(root, "specs", c.name), { recursive: true });
    cpSync(c.file.path, join(root, "specs", c.name, "spec.md"));
  }
  for (const change of corpus.changes) {
    const dest = change.archived ? join(root, "changes", "archive", change.name) : join(root, "changes", change.name);
    cpSync(change.dir, dest, { recursive: true });
  }
  mkdirSync(join(root, "specs"), { recursive: true });
  return dir;
}

/** Runs the real `openspec validate --all --strict --json` on a staged copy of the tree. */
export function runOpenSpecValidate(specsPath: string): OpenSpecResult {
  const dir = stageAsOpenSpec(specsPath);
  try {
    return runOpenSpecIn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runOpenSpecIn(dir: string): OpenSpecResult {
  const result = spawnSync(process.execPath, [OPENSPEC_BIN, "validate", "--all", "--strict", "--json", "--no-interactive"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, DO_NOT_TRACK: "1", OPENSPEC_TELEMETRY: "0", CI: "1" },
    maxBuffer: 256 * 1024 * 1024,
  });
  const start = result.stdout.indexOf("{");
  let report: OpenSpecResult["report"];
  try {
    report = JSON.parse(result.stdout.slice(start));
  } catch {
    throw new Error(`openspec validate printed no JSON (exit ${result.status}): ${result.stderr || result.stdout}`);
  }
  return { exitCode: result.status ?? -1, report, stderr: result.stderr };
}
