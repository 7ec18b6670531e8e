// Provisioning fuzz run: pushes generated inputs (valid-shaped configurations, byte
// mutations, random bytes, gzip and zstd bundles with hostile members) through
// validateConfigText and importConfig, counts uncaught exceptions (must be 0) and
// broken state invariants (must be 0), and prints validate and import latency.
// ATOMICNIX_FUZZ_N sets the number of inputs (default 100000). Prints, asserts nothing.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkComplete, fuzzStep } from "../tests/device/provisioning/fuzz-check.js";
import { generate, prng, sizeAttacks, type FuzzInput } from "../tests/device/provisioning/fuzz-inputs.js";

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

function keys(dir: string): string[] {
  return [["ed25519"], ["ecdsa", "-b", "256"], ["rsa", "-b", "2048"]].map(([t, ...rest], i) => {
    const f = join(dir, `k${i}`);
    execFileSync("ssh-keygen", ["-q", "-N", "", "-t", t!, ...rest, "-f", f]);
    return readFileSync(`${f}.pub`, "utf8").trim();
  });
}

export async function provisioningFuzzBench(n = Number(process.env.ATOMICNIX_FUZZ_N ?? 100_000)): Promise<void> {
  // tmpfs when available: the figures are the importer's own cost, not the disk's fsync latency.
  const base = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "prov-fuzz-"));
  try {
    const k = keys(base);
    const root = join(base, "state", "config");
    const r = prng(20261127);
    const last: { config?: Uint8Array } = {};
    const counts: Record<FuzzInput["kind"], { total: number; accepted: number }> = {
      "valid-shaped": { total: 0, accepted: 0 },
      mutation: { total: 0, accepted: 0 },
      random: { total: 0, accepted: 0 },
      bundle: { total: 0, accepted: 0 },
    };
    let crashes = 0;
    let violations = 0;
    const samples: string[] = [];
    const validateMs: number[] = [];
    const importAccepted: number[] = [];
    const importRejected: number[] = [];
    const started = performance.now();
    // The campaign opens with the size attacks (long and case-colliding names, huge arrays), then random inputs.
    const attacks = sizeAttacks(k);
    for (let i = 0; i < n; i++) {
      const input: FuzzInput = i < attacks.length ? { kind: "valid-shaped", bytes: Buffer.from(attacks[i]!), filename: "config.toml" } : await generate(r, k);
      counts[input.kind].total++;
      try {
        const s = await fuzzStep(input, root, last, false);
        if (s.validateMs !== undefined) validateMs.push(s.validateMs);
        (s.accepted ? importAccepted : importRejected).push(s.importMs);
        if (s.accepted) counts[input.kind].accepted++;
        if (s.problem) {
          violations++;
          if (samples.length < 5) samples.push(`#${i} ${input.kind}: ${s.problem}`);
        }
        if (i % 1000 === 999) {
          const p = checkComplete(root, last.config);
          if (p) {
            violations++;
            if (samples.length < 5) samples.push(`#${i} periodic: ${p}`);
          }
        }
      } catch (e) {
        crashes++;
        if (samples.length < 5) samples.push(`#${i} ${input.kind}: uncaught ${(e as Error).stack?.split("\n").slice(0, 3).join(" | ")}`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const fmt = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return `median ${percentile(s, 50).toFixed(3)} ms, p99 ${percentile(s, 99).toFixed(3)} ms (n=${xs.length})`;
    };
    console.log(`\n== provisioning fuzz: ${n} inputs in ${seconds.toFixed(1)} s (state on ${base.startsWith("/dev/shm") ? "tmpfs" : "disk"})`);
    for (const [kind, c] of Object.entries(counts)) console.log(`  ${kind.padEnd(13)} ${String(c.total).padStart(7)} inputs, ${String(c.accepted).padStart(6)} accepted`);
    console.log(`  uncaught exceptions: ${crashes}`);
    console.log(`  state invariant violations: ${violations}`);
    for (const s of samples) console.log(`    ${s}`);
    console.log(`  validate:          ${fmt(validateMs)}`);
    console.log(`  import (accepted): ${fmt(importAccepted)}`);
    console.log(`  import (rejected): ${fmt(importRejected)}`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await provisioningFuzzBench();
