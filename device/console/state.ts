import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/atomic-write.js";

/**
 * The on-disk facts the console decides access on. Everything is read afresh for each
 * request, so a key rotation or a wipe of /data takes effect at once.
 */
export interface ConsolePaths {
  /** /data on a device */
  dataDir: string;
  /** /data/config: the importer's root */
  configRoot: string;
}

export function consolePaths(dataDir: string): ConsolePaths {
  return { dataDir, configRoot: join(dataDir, "config") };
}

const sentinel = (p: ConsolePaths) => join(p.dataDir, ".completed_first_boot");
const acceptedFile = (p: ConsolePaths) => join(p.dataDir, "bootstrap-console", "accepted-signatures");

export function storedConfig(p: ConsolePaths): Buffer | undefined {
  try {
    return readFileSync(join(p.configRoot, "config.toml"));
  } catch {
    return undefined;
  }
}

/**
 * Provisioned = the first-boot sentinel exists or a valid config.toml is stored
 * (console.open-before-provisioning). Until then the console takes unsigned input.
 */
export function isProvisioned(p: ConsolePaths, isValidConfig: (text: string) => boolean): boolean {
  if (existsSync(sentinel(p))) return true;
  const stored = storedConfig(p);
  return stored !== undefined && isValidConfig(stored.toString("utf8"));
}

/** The stored admin keys (ssh-authorized-keys/admin), one authorized_keys line each; none when missing. */
export function adminKeys(p: ConsolePaths): string[] {
  try {
    return readFileSync(join(p.configRoot, "ssh-authorized-keys", "admin"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
  } catch {
    return [];
  }
}

export function acceptedSignatures(p: ConsolePaths): Set<string> {
  try {
    return new Set(readFileSync(acceptedFile(p), "utf8").split("\n").filter(Boolean));
  } catch {
    return new Set();
  }
}

/**
 * Records a signature digest before the import it authorises is committed, so that a
 * crash between commit and record cannot leave a replayable signature behind.
 */
export function recordSignature(p: ConsolePaths, digest: string): void {
  const all = acceptedSignatures(p);
  all.add(digest);
  writeFileAtomic(acceptedFile(p), [...all].join("\n") + "\n", 0o600);
}

/** Takes a recorded digest back when its import was refused, so the admin can correct and resend. */
export function forgetSignature(p: ConsolePaths, digest: string): void {
  const all = acceptedSignatures(p);
  if (!all.delete(digest)) return;
  writeFileAtomic(acceptedFile(p), [...all].map((d) => d + "\n").join(""), 0o600);
}
