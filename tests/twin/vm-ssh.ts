import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { expect } from "vitest";
import { evidenceDir, readRuns } from "../../conformance/results/store.js";
import { run, sleep } from "../../conformance/targets/driver.js";
import { rootRequirement, SshTarget } from "../../conformance/targets/ssh/ssh.js";
import type { VmTarget } from "../../conformance/targets/vm/vm.js";
import type { TwinBuild } from "../../twin/locate.js";
import { vmPowerSwitch } from "./vm-power.js";

/**
 * The ssh target against the only SSH device we have: the lifecycle's QEMU twin,
 * provisioned with the lifecycle's admin key, its LAN port 22 forwarded to loopback.
 * The suite runs on the first boot (slot A, provisioned, nothing about to reboot it),
 * the driver checks at the end of the lifecycle: they cost no boot of their own except
 * the power cycle they prove. What runs over SSH is exactly what a bench Rock64 offers:
 * the admin login and an external power switch.
 */
export interface SshRig {
  vm: VmTarget;
  build: TwinBuild;
  port: number;
  /** the admin's private key file */
  key: string;
  dir: string;
}

const IMAGE_IDENTITY = /^(sha256:[0-9a-f]{64}|rootfs:.+@[AB])$/;

/** `conformance run --target ssh` of every ssh-bound scenario; its evidence goes to the run's evidence store, where the gate counts it. */
export async function sshConformanceRun(rig: SshRig): Promise<void> {
  const evidence = evidenceDir();
  const before = new Set(readRuns(evidence).map((run) => run.dir));
  const r = await run(["npx", "atomicnix", "conformance", "run", "--target", "ssh", "--host", "127.0.0.1", "--port", String(rig.port), "--key", rig.key], { timeoutMs: 600_000 });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^device\s+\d+\s+\d+\s+0\s+\d+$/m);
  const runs = readRuns(evidence).filter((run) => !before.has(run.dir));
  expect(runs.map((run) => run.dir), "one new evidence run").toHaveLength(1);
  const { start, tests, dir, finished } = runs[0]!;
  // the command names the folder as given to it (relative to the checkout by default)
  expect(resolve(/^evidence: (\S+)$/m.exec(r.stdout)?.[1] ?? "")).toBe(dir);
  expect(finished, "the run recorded its end").toBe(true);
  expect(start.meta.target).toBe("ssh");
  expect(start.meta.targetInfo).toMatchObject({ kind: "ssh", host: "127.0.0.1", port: rig.port, arch: "x86_64", bootedSlot: rig.vm.current!.slot });
  expect(start.meta.imageHash).toMatch(IMAGE_IDENTITY);
  expect(tests.filter((t) => t.state === "passed").length, "scenarios passed over SSH").toBeGreaterThan(0);
  // The only scenario allowed not to run is one that declares it needs root: the product
  // gives admin no sudo, so over SSH it is not runnable (the container target proves it).
  const notPassed = tests.filter((t) => t.state !== "passed" && !(t.state === "skipped" && /^needs root on the device/.test(t.skipReason ?? "")));
  expect(notPassed.map((t) => `${t.scenario}: ${t.state} ${t.skipReason ?? ""}`), "every other scenario passed over SSH").toEqual([]);
  expect(readFileSync(join(dir, "junit.xml"), "utf8")).toContain("root.overlay.options");
}

/** The SshTarget driver itself: exec semantics, describe(), the console recorder, and a reboot through the power hook. */
export async function sshTargetDriver(rig: SshRig): Promise<void> {
  const { vm, build, port, key } = rig;
  const power = await vmPowerSwitch(vm, rig.dir);
  const serial = await fakeSerial();
  const t = new SshTarget({ host: "127.0.0.1", port, key, powerCmd: power.command, console: { device: serial.device, baud: 115200 }, bootWaitMs: 400_000 });
  try {
    await t.start();
    // exec: the login user, exit codes, stdin and stderr as the device gave them
    expect(await t.succeed("id -un")).toBe("admin\n");
    expect((await t.exec("echo oops >&2; exit 7")).code).toBe(7);
    expect((await t.exec("echo oops >&2; exit 7")).stderr.trim()).toBe("oops");
    expect(await t.succeed("tr a-z A-Z", { input: "from stdin" })).toBe("FROM STDIN");
    expect(await t.succeed(`printf '%s' "it's \\$HOME"`)).toBe("it's $HOME");
    // the product has no sudo and refuses root over SSH: unprivileged, and tests say so
    expect(t.privileged).toBe(false);
    expect(rootRequirement(t)).toMatch(/needs root.*admin/);
    expect((await run(["ssh", ...t.sshArgs().slice(0, -1), `root@127.0.0.1`, "true"], { timeoutMs: 60_000 })).code).toBe(255);

    const slot = vm.current!.slot;
    const d = t.describe();
    expect(d).toMatchObject({ kind: "ssh", arch: "x86_64", host: "127.0.0.1", port, user: "admin", privileged: false, bootedSlot: slot, version: build.version });
    expect(d.imageHash).toMatch(IMAGE_IDENTITY);
    expect(d.imageHash!.endsWith(`@${slot}`) || d.imageHash!.startsWith("sha256:"), `${d.imageHash} names slot ${slot} or its RAUC digest`).toBe(true);

    // the console recorder got what the serial line carried, raw (stty ran on the device)
    const log = () => readFileSync(t.consoleLogPath!, "utf8");
    for (let i = 0; i < 100 && !/console line \d+\r\n/.test(log()); i++) await sleep(100);
    expect(log()).toMatch(/U-Boot SPL console line \d+\r\n/);
    expect(execFileSync("stty", ["-F", serial.device, "-a"], { encoding: "utf8" })).toMatch(/speed 115200 baud.*-echo/s);

    // reboot: admin may not `systemctl reboot` (no polkit grant), so the power hook cycles
    const before = t.bootId!;
    const bootsBefore = vm.boots.length;
    await t.reboot();
    expect(t.lastRebootMethod).toBe("power-cycle");
    expect(power.actions).toEqual(["cycle"]);
    expect(vm.boots.length).toBe(bootsBefore + 1);
    expect(t.bootId).not.toBe(before);
    expect((await t.succeed("cat /proc/sys/kernel/random/boot_id")).trim()).toBe(t.bootId);
    expect(t.boots).toBe(2);
    expect(power.resets, "the device rebooted by itself during the checks").toEqual([]);

    // powerCut without a power hook is refused, naming what is missing
    const noPower = new SshTarget({ host: "127.0.0.1", port, key });
    await expect(noPower.powerCut()).rejects.toThrow(/power command.*--power-cmd/);
    await noPower.dispose();
  } finally {
    await t.dispose();
    serial.child.kill();
    await power.close();
  }
}

/** A pseudo-terminal whose other end prints boot-like lines: a stand-in for a USB serial adapter. */
function fakeSerial(): Promise<{ device: string; child: ChildProcess }> {
  const child = spawn("python3", ["-c", [
    "import os, pty, time",
    "m, s = pty.openpty()",
    "print(os.ttyname(s), flush=True)",
    "i = 0",
    "while True:",
    "    os.write(m, b'U-Boot SPL console line %d\\r\\n' % i); i += 1; time.sleep(0.2)",
  ].join("\n")], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    createInterface({ input: child.stdout! }).once("line", (device) => resolve({ device: device.trim(), child }));
  });
}
