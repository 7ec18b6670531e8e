import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CollectedBinding } from "../binding.js";

/**
 * Collects every `scenario()` binding by letting vitest load the test files
 * (`vitest list`), which evaluates the bindings but runs no test body.
 */
export function collectBindings(cwd = process.cwd(), config?: string): CollectedBinding[] {
  const dir = mkdtempSync(join(tmpdir(), "atomicnix-collect-"));
  const file = join(dir, "bindings.ndjson");
  try {
    const result = spawnSync(process.execPath, [join(cwd, "node_modules", "vitest", "vitest.mjs"), "list", ...(config ? ["--config", config] : [])], {
      cwd,
      env: { ...process.env, ATOMICNIX_COLLECT: file, ATOMICNIX_TARGET: "host" },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`vitest list failed (exit ${result.status}):\n${result.stderr || result.stdout}`);
    if (!existsSync(file)) return [];
    const seen = new Set<string>();
    const out: CollectedBinding[] = [];
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const b = JSON.parse(line) as CollectedBinding;
      const key = `${b.scenario}\u0000${b.file}\u0000${b.test}`;
      if (!seen.has(key)) out.push(b);
      seen.add(key);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
