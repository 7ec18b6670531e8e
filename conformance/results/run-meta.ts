import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { currentTarget, type TargetKind } from "../targets.js";

export interface RunMeta {
  runId: string;
  revision: string | null;
  dirty: boolean | null;
  target: TargetKind;
  /** what the target is (arch, image, QEMU version...), as the driver describes it */
  targetInfo: Record<string, unknown>;
  imageHash: string | null;
  startedAt: string;
  host: string;
  node: string;
  ci: boolean;
}

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

export function collectRunMeta(env: NodeJS.ProcessEnv = process.env, now = new Date()): RunMeta {
  const revision = git(["rev-parse", "HEAD"]);
  const status = git(["status", "--porcelain", "--untracked-files=normal"]);
  let targetInfo: Record<string, unknown> = {};
  if (env.ATOMICNIX_TARGET_INFO) {
    try {
      targetInfo = JSON.parse(env.ATOMICNIX_TARGET_INFO) as Record<string, unknown>;
    } catch {
      targetInfo = { raw: env.ATOMICNIX_TARGET_INFO };
    }
  }
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return {
    runId: `${stamp}-${randomBytes(3).toString("hex")}`,
    revision,
    dirty: status === null ? null : status.length > 0,
    target: currentTarget(env),
    targetInfo,
    imageHash: env.ATOMICNIX_IMAGE_HASH ?? null,
    startedAt: now.toISOString(),
    host: hostname(),
    node: process.version,
    ci: Boolean(env.CI),
  };
}
