import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../../lib/atomic-write.js";
import { validators } from "../../generated/validators/index.js";
import type { BootedSlot } from "./rauc-status.js";

/**
 * The commit record of `verify.committed` (schema `commit-record`). It holds the
 * booted slot's install identity at commit time; an install into that slot changes
 * the identity, so the record no longer matches and the slot is verified in full again.
 */
export interface CommitRecord {
  bootname: string;
  slot: string;
  installed_count: number;
  installed_timestamp: string;
  sha256: string;
  committed_at: string;
}

export function readCommitRecord(path: string): { record?: CommitRecord; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? {} : { problem: `${path}: unreadable (${(e as Error).message})` };
  }
  try {
    const doc = JSON.parse(text);
    if (validators["commit-record"](doc)) return { record: doc as CommitRecord };
    const err = validators["commit-record"].errors?.[0];
    return { problem: `${path}: invalid commit record at ${err?.instancePath || "(root)"}: ${err?.message}` };
  } catch (e) {
    return { problem: `${path}: not JSON (${(e as Error).message})` };
  }
}

export function recordMatches(record: CommitRecord, booted: BootedSlot): boolean {
  return (
    record.bootname === booted.bootname &&
    record.slot === booted.slot &&
    record.installed_count === booted.installedCount &&
    record.installed_timestamp === booted.installedTimestamp &&
    record.sha256 === booted.sha256
  );
}

export function writeCommitRecord(path: string, booted: BootedSlot, now = new Date()): CommitRecord {
  const record: CommitRecord = {
    bootname: booted.bootname,
    slot: booted.slot,
    installed_count: booted.installedCount,
    installed_timestamp: booted.installedTimestamp,
    sha256: booted.sha256,
    committed_at: now.toISOString(),
  };
  writeFileAtomic(path, JSON.stringify(record, null, 2) + "\n");
  return record;
}
