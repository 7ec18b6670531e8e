import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import { writeCommitRecord } from "../health/commit-record.js";
import { parseBootedSlot } from "../health/rauc-status.js";
import { importConfig } from "./import.js";
import { describe } from "./issues.js";
import { bootSeed, existingState, paths, scanMedia, type Source, type SourceOptions } from "./sources.js";

/**
 * first-boot.service (prov.first-boot): import from the first source, apply it
 * through the runtime units, confirm the slot, and only then write the sentinel.
 * Any failure exits non-zero before slot confirmation and without a sentinel.
 */
const APPLY_UNITS = ["quadlet-sync.service", "lan-gateway-apply.service", "provisioned-firewall-inbound.service"] as const;

export interface FirstBootOptions extends SourceOptions {
  rauc: boolean;
  /**
   * Runs after the slot is confirmed and before the sentinel, with the config root.
   * Only the DEVELOPMENT=1 entry (main.development.ts) passes one: production
   * bundles carry no code that creates the SSH-on-WAN flag (fw.ssh-wan-manual).
   */
  beforeSentinel?: (configRoot: string) => void;
  pollMs: number;
  /** runs a command; the default spawns it */
  run?: (cmd: string, args: string[]) => { code: number; output: string };
}

function spawnRun(cmd: string, args: string[]): { code: number; output: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 15 * 60_000 });
  return { code: r.status ?? 1, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}`.trim() };
}

/** Imports the first source that validates; the rest are logged with their errors and skipped. */
export async function importFirstSource(o: SourceOptions): Promise<"imported" | "stored" | "sentinel" | "none"> {
  const existing = existingState(o);
  if (existing) return existing.kind as "stored" | "sentinel";
  const root = paths(o.prefix).configRoot;
  const tryImport = async (s: Source & { kind: "input" }) => {
    const r = await importConfig({ bytes: s.bytes, filename: s.filename }, root);
    if (r.ok) {
      o.log(`${s.origin}: imported as generation ${r.generation}`);
      for (const w of r.warnings) o.log(`${s.origin}: warning: ${describe(w)}`);
      return true;
    }
    o.log(`${s.origin}: rejected, skipped: ${r.errors.map(describe).join("; ")}`);
    return false;
  };
  const seed = bootSeed(o);
  if (seed && (await tryImport(seed))) return "imported";
  for (const medium of scanMedia(o)) if (await tryImport(medium)) return "imported";
  return "none";
}

export async function firstBoot(o: FirstBootOptions): Promise<number> {
  const run = o.run ?? spawnRun;
  const p = paths(o.prefix);
  const outcome = await importFirstSource(o);
  if (outcome === "sentinel") {
    o.log(`${p.sentinel} exists; nothing to do`);
    return 0;
  }
  if (outcome === "stored") o.log(`${p.stored} is valid; reusing it, re-syncing only`);
  if (outcome === "none") {
    o.log("no provisioning source found; waiting for a configuration from the bootstrap console");
    while (!existingState({ ...o, log: () => {} })) await new Promise((r) => setTimeout(r, o.pollMs));
    o.log(`${p.stored} arrived from the bootstrap console`);
  }
  for (const unit of APPLY_UNITS) {
    const r = run("systemctl", ["restart", unit]);
    if (r.code !== 0) {
      o.log(`${unit} failed (exit ${r.code}); not confirming the slot: ${r.output}`);
      const status = run("systemctl", ["status", "--no-pager", "--lines=20", unit]);
      if (status.output) o.log(status.output);
      return 1;
    }
  }
  if (o.rauc) {
    const r = run("rauc", ["status", "mark-good"]);
    if (r.code !== 0) {
      o.log(`rauc status mark-good failed (exit ${r.code}): ${r.output}`);
      return 1;
    }
    recordCommit(o, run);
  }
  o.beforeSentinel?.(p.configRoot);
  writeFileAtomic(p.sentinel, "");
  o.log(`provisioning complete; wrote ${p.sentinel}`);
  return 0;
}

/**
 * Provisioning commits the slot (verify.first-boot.provisioned), so it also writes the
 * commit record os-verification reads: later boots of this slot are only re-marked
 * (verify.committed) instead of being judged again, and an application that fails on
 * a committed slot can never roll the device back to a slot that was never installed.
 * Without a readable status the slot stays committed by mark-good alone and the next
 * os-verification verifies it in full.
 */
function recordCommit(o: FirstBootOptions, run: NonNullable<FirstBootOptions["run"]>): void {
  const file = join(dirname(paths(o.prefix).sentinel), "rauc", "commit-record.json");
  const status = parseBootedSlot(run("rauc", ["status", "--detailed", "--output-format=json"]).output);
  if (!status.ok) {
    o.log(`commit record not written (${status.problem}); os-verification will verify this slot in full`);
    return;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeCommitRecord(file, status.booted);
  o.log(`slot ${status.booted.bootname} (${status.booted.slot}) committed; record ${file}`);
}
