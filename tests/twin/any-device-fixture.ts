import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, type TestContext } from "vitest";
import { currentTarget } from "../../conformance/targets.js";
import type { TargetBase } from "../../conformance/targets/driver.js";
import { sshOptionsFromEnv } from "../../conformance/targets/ssh/env.js";
import { SshTarget } from "../../conformance/targets/ssh/ssh.js";
import { ContainerTarget } from "../../conformance/targets/container/container.js";
import { locateTwin } from "../../twin/locate.js";

/**
 * The device of the current run for target-agnostic scenarios: with
 * ATOMICNIX_TARGET=ssh the board named by ATOMICNIX_SSH_* (started once per file; in
 * CI the VM lifecycle's twin), with ATOMICNIX_TARGET=container one nspawn twin with an
 * empty /data. Other targets skip.
 */
let device: Promise<TargetBase> | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterAll(async () => {
  await cleanup?.();
}, 60_000);

export async function currentDevice(context: TestContext): Promise<TargetBase> {
  const kind = currentTarget();
  if (kind === "ssh") {
    if (!device) {
      const t = new SshTarget(sshOptionsFromEnv());
      cleanup = () => t.dispose();
      device = t.start().then(() => t);
    }
    return device;
  }
  if (kind === "container") {
    const build = locateTwin();
    if ("missing" in build) return context.skip(build.missing) as never;
    if (!device) {
      const scratch = mkdtempSync(join(tmpdir(), "atomicnix-container-"));
      const t = new ContainerTarget({ root: build.root, dataDir: join(scratch, "data"), logDir: join(scratch, "log"), imageHash: build.key, arch: build.arch });
      cleanup = async () => {
        await t.stop();
        rmSync(scratch, { recursive: true, force: true });
      };
      device = t.start().then(() => t);
    }
    return device;
  }
  return context.skip(`not a device run (target ${kind})`) as never;
}
