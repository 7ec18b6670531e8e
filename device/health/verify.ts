import type { CommandRunner } from "../update/runner.js";
import { expectedGatewayIp, runRound, type CheckContext } from "./checks.js";
import { readCommitRecord, recordMatches, writeCommitRecord } from "./commit-record.js";
import { readBootedSlot } from "./rauc-status.js";
import type { UnitProbe } from "./unit-probe.js";

/**
 * One `os-verification` run (specs/update-confirmation):
 * 1. read the booted slot from `rauc status` JSON, refusing without it;
 * 2. a slot whose commit record still matches its install identity is only re-marked good;
 * 3. otherwise the checks must pass at the first round and at every round of the
 *    sustained window, with no checked unit restarted in between;
 * 4. only then `rauc status mark-good` and the commit record.
 */

export interface VerifyOptions {
  configDir: string;
  commitRecord: string;
  runner: CommandRunner;
  probe: UnitProbe;
  intervalSec: number;
  windowSec: number;
  log: (line: string) => void;
  /** for tests: clock and sleep */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface VerifyResult {
  exitCode: 0 | 1;
  outcome: "refused" | "already-committed" | "failed" | "committed" | "mark-good-failed";
  rounds: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runVerification(o: VerifyOptions): Promise<VerifyResult> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? defaultSleep;
  const status = await readBootedSlot(o.runner);
  if (!status.ok) {
    o.log(`refusing to confirm: ${status.problem}`);
    return { exitCode: 1, outcome: "refused", rounds: 0 };
  }
  const booted = status.booted;
  const { record, problem } = readCommitRecord(o.commitRecord);
  if (problem) o.log(`${problem}; treating the slot as not committed`);
  if (record && recordMatches(record, booted)) {
    const mark = await o.runner.run("rauc", ["status", "mark-good"], { timeoutMs: 30_000 });
    if (mark.code !== 0) {
      // Still committed: failing here would make the unit's FailureAction reboot a good slot.
      o.log(`warning: slot ${booted.bootname} is committed but refreshing with rauc status mark-good failed (exit ${mark.code}): ${mark.stderr.trim()}`);
      return { exitCode: 0, outcome: "already-committed", rounds: 0 };
    }
    o.log(`slot ${booted.bootname} (${booted.slot}) already committed at ${record.committed_at}; refreshed with mark-good, no checks needed`);
    return { exitCode: 0, outcome: "already-committed", rounds: 0 };
  }
  o.log(`verifying slot ${booted.bootname} (${booted.slot}, rauc boot status ${booted.bootStatus}, installed count ${booted.installedCount}): window ${o.windowSec}s, every ${o.intervalSec}s`);

  const ctx: CheckContext = { configDir: o.configDir, runner: o.runner, probe: o.probe, log: o.log };
  const gateway = expectedGatewayIp(o.configDir);
  o.log(gateway.note);
  const started = now();
  const windowMs = o.windowSec * 1000;
  let rounds = 0;
  let baseline: Map<string, string | undefined> | undefined;
  for (;;) {
    const elapsed = now() - started;
    const round = await runRound(ctx, gateway.ip);
    rounds++;
    const failures = [...round.failures];
    if (baseline) {
      for (const [unit, id] of round.identities) {
        const before = baseline.get(unit);
        if (before !== undefined && id !== undefined && id !== before) failures.push(`${unit} restarted during the window (was ${before}, now ${id})`);
      }
    } else {
      baseline = round.identities;
    }
    if (failures.length) {
      for (const f of failures) o.log(`check failed (round ${rounds}, ${(elapsed / 1000).toFixed(1)}s): ${f}`);
      o.log(`verification of slot ${booted.bootname} failed; not committing`);
      return { exitCode: 1, outcome: "failed", rounds };
    }
    o.log(`round ${rounds} at ${(elapsed / 1000).toFixed(1)}s passed: ${[...round.identities.keys()].join(", ")} active; eth0 IPv4; eth1 ${gateway.ip}`);
    if (elapsed >= windowMs) break;
    // The next round starts one interval on, the last one at the end of the window and
    // never before it: a timer may fire a millisecond early by the wall clock, so sleep
    // again until that time has really come (else one more round would run).
    const next = Math.min(now() - started + o.intervalSec * 1000, windowMs);
    while (now() - started < next) await sleep(next - (now() - started));
  }
  const mark = await o.runner.run("rauc", ["status", "mark-good"], { timeoutMs: 30_000 });
  if (mark.code !== 0) {
    o.log(`rauc status mark-good failed (exit ${mark.code}): ${mark.stderr.trim()}`);
    return { exitCode: 1, outcome: "mark-good-failed", rounds };
  }
  const rec = writeCommitRecord(o.commitRecord, booted);
  o.log(`slot ${booted.bootname} committed after ${rounds} rounds over ${((now() - started) / 1000).toFixed(1)}s; record ${o.commitRecord} (${rec.committed_at})`);
  return { exitCode: 0, outcome: "committed", rounds };
}
