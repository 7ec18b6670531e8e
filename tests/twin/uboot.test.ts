import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, type TestContext } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { currentTarget } from "../../conformance/targets.js";
import { ubootCycles } from "../../conformance/targets/vm/uboot-console.js";
import { UBOOT_VM_ARCH, UbootVmTarget, type UbootBootRecord } from "../../conformance/targets/vm/uboot-vm.js";
import { locateTwin, type TwinBuild } from "../../twin/locate.js";
import { certs, panickingBoot, sharedBundle } from "./vm-bundles.js";
import { twinSeed } from "./vm-seed.js";
import { cmdlineSlot, mountShare, raucStatus, SLOW, verificationSettled } from "./vm-shell.js";

/**
 * The bootloader's own work, on the arm64 twin booted by its real U-Boot (the same
 * release and RAUC settings as the Rock64's, `boot.scr` from the same boot.cmd): one
 * fresh flash, provisioned from the lifecycle's seed on /boot, through the decrement and the console of its first boot,
 * U-Boot's reset of all-zero counters, a boot on a blank environment and a fall-back
 * after three kernel panics. The driver powers the machine and reads U-Boot's console;
 * it never writes the env. Runs with ATOMICNIX_TARGET=vm on the arm64 build
 * (`npx tsx twin/run-suite.ts --uboot-only`).
 */

interface Rig {
  vm: UbootVmTarget;
  build: TwinBuild;
  scratch: string;
  share: string;
}
let rig: Promise<Rig> | undefined;
let started: Rig | undefined;
let failed = false;
afterEach((context) => {
  if (context.task.result?.state === "fail") failed = true;
});
afterAll(async () => {
  if (!started) return;
  await started.vm.stop();
  const uboot = started.vm.boots.flatMap((b) => (b.ubootMs === undefined ? [] : [b.ubootMs / 1000]));
  console.log(`u-boot twin: ${started.vm.boots.length} boot(s); U-Boot time (power-on or reset to "Starting kernel") min ${Math.min(...uboot).toFixed(1)} s, max ${Math.max(...uboot).toFixed(1)} s\n${started.vm.boots.map(describeBoot).join("\n")}`);
  if (failed) {
    rmSync(started.vm.disk, { force: true });
    console.log(`u-boot twin: serial consoles kept in ${join(started.scratch, "vm")}`);
  } else rmSync(started.scratch, { recursive: true, force: true });
}, 60_000);

const t0 = Date.now();
function step(text: string): void {
  console.log(`[u-boot +${((Date.now() - t0) / 1000).toFixed(0)}s] ${text}`);
}

function describeBoot(b: UbootBootRecord): string {
  return `  boot ${b.n}: U-Boot booted slot ${b.slot} (${b.leftBefore} of 3 tries left${b.triesReset ? ", after resetting all tries" : ""}), U-Boot ${b.ubootMs === undefined ? "?" : (b.ubootMs / 1000).toFixed(1)} s, ${b.multiUserMs === undefined ? "multi-user not awaited" : `multi-user in ${(b.multiUserMs / 1000).toFixed(1)} s`}, ended: ${b.end}`;
}

async function device(context: TestContext): Promise<Rig> {
  if (currentTarget() !== "vm") context.skip("not a vm run");
  const build = locateTwin();
  if ("missing" in build) return context.skip(build.missing) as never;
  if (!build.uboot || build.arch !== UBOOT_VM_ARCH) return context.skip(`the ${build.arch} twin has no U-Boot: this suite runs on the arm64 twin (twin/run-suite.ts --uboot-only)`) as never;
  rig ??= (async () => {
    const scratch = mkdtempSync(join(tmpdir(), "atomicnix-uboot-"));
    const share = join(scratch, "share");
    mkdirSync(share);
    // provisioned as an operator ships it: first-boot commits slot A and each later boot
    // re-marks it, so slot A's tries are back at 3 when a scenario starts
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "admin@uboot-test", "-f", join(scratch, "admin")]);
    const seed = twinSeed(readFileSync(join(scratch, "admin.pub"), "utf8").trim());
    const vm = new UbootVmTarget({ image: build.image!, firmware: build.uboot!, workDir: join(scratch, "vm"), imageHash: build.imageSha256, arch: build.arch, share, bootFiles: { "config.toml": seed }, log: step });
    started = { vm, build, scratch, share };
    await vm.start();
    return started;
  })();
  return rig;
}

// ---- the fresh flash's first boot, as its serial console shows it

scenario("boot.script.console", SLOW, async ({ context }) => {
  const { vm } = await device(context);
  const lines = vm.boots[0]!.uboot;
  expect(lines.some((l) => /^U-Boot \d{4}\.\d{2}/.test(l)), `the U-Boot banner\n${lines.join("\n")}`).toBe(true);
  expect(lines).toContain("INFO: Booting slot A, 3 of 3 tries left");
  expect(lines.some((l) => l.startsWith("AtomicNix build twin-")), "boot.scr's build line").toBe(true);
  const printed = lines.find((l) => l.startsWith("AtomicNix: bootargs "))?.slice("AtomicNix: bootargs ".length);
  expect(printed, "boot.scr printed the command line it booted with").toBeDefined();
  const words = (text: string) => text.trim().split(/\s+/);
  expect(words(await vm.succeed("cat /proc/cmdline"))).toEqual(words(printed!));
});

scenario("boot.counter.decrement", SLOW, async ({ context }) => {
  const { vm } = await device(context);
  const first = vm.boots[0]!;
  expect(first.uboot.filter((l) => /Booting slot/.test(l)), "U-Boot's own line on the serial console").toEqual(["INFO: Booting slot A, 3 of 3 tries left"]);
  expect(await cmdlineSlot(vm)).toBe("A");
  await vm.waitUntil("systemctl show -P ActiveState watchdog-boot-count.service | grep -qx inactive && journalctl -b -o cat -u watchdog-boot-count.service | grep -q slot=", "watchdog-boot-count.service", 120_000);
  expect(await vm.succeed("journalctl -b -o cat -u watchdog-boot-count.service")).toMatch(/^slot=A left=2 /m);
});

// ---- what U-Boot does with an environment that has no attempts left, or no valid copy

scenario("boot.counter.all-zero", SLOW, async ({ context }) => {
  const { vm } = await device(context);
  await verificationSettled(vm);
  const order = (await vm.succeed("fw_printenv -n BOOT_ORDER")).trim();
  // the GIVEN, set as a bench tester would: through the device's own tool, then an orderly reboot
  await vm.succeed("fw_setenv BOOT_A_LEFT 0 && fw_setenv BOOT_B_LEFT 0");
  const before = vm.current!;
  await vm.reboot("shell");
  const record = vm.current!;
  expect(record.n, "one boot followed the reboot (U-Boot's own reset belongs to it)").toBe(before.n + 1);
  expect(record.triesReset, `U-Boot reset every slot's tries and the machine\n${vm.consoleLog(record).slice(0, 3000)}`).toBe(true);
  const cycles = ubootCycles(vm.consoleLog(record));
  const reset = cycles.findIndex((c) => c.resetAllTries);
  expect(cycles[reset]!.kernelStarted, "no kernel started before U-Boot's reset").toBe(false);
  expect(cycles.slice(reset + 1).find((c) => c.slot), "the boot after the reset").toMatchObject({ slot: order.split(" ")[0], triesBefore: 3 });
  expect(await cmdlineSlot(vm)).toBe(order.split(" ")[0]);
  expect((await vm.succeed("fw_printenv -n BOOT_ORDER")).trim()).toBe(order);
});

scenario("boot.env-seed.blank", SLOW, async ({ context }) => {
  const { vm } = await device(context);
  await verificationSettled(vm);
  // the GIVEN: the env area (16 KiB at 1 MiB, the twin's fw_env.config) erased from the device's shell
  await vm.succeed("dd if=/dev/zero of=/dev/vda bs=16384 seek=64 count=1 conv=fsync status=none");
  await vm.reboot();
  const record = vm.current!;
  expect(vm.consoleLog(record), "U-Boot found no valid env").toMatch(/bad CRC|using default environment/i);
  const r = await vm.exec("fw_printenv");
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr + r.stdout).not.toMatch(/bad CRC/i);
  const env = Object.fromEntries(r.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  expect(env.BOOT_ORDER).toBe("A B");
  for (const k of ["BOOT_A_LEFT", "BOOT_B_LEFT"]) expect(Number(env[k]), `${k}=${env[k]}`).toBeOneOf([0, 1, 2, 3]);
  expect([record.slot, record.leftBefore], "U-Boot's defaults: slot A, 3 tries").toEqual(["A", 3]);
});

// ---- an installed kernel that panics before userspace: U-Boot falls back by itself

scenario("boot.rollback.kernel-panic", SLOW, async ({ context }) => {
  const { vm, build, share, scratch } = await device(context);
  expect(vm.current!.slot).toBe("A");
  await vm.waitUntil("test -e /data/.completed_first_boot", "a provisioned device", 300_000);
  await verificationSettled(vm);
  expect((await raucStatus(vm)).slots["boot.0"]!.boot_status, "slot A committed").toBe("good");
  const boot = panickingBoot(build, join(scratch, "panicking-boot.vfat"));
  sharedBundle(join(share, "panic.raucb"), { boot, rootfs: build.rootfs!, version: "25.11.4.twin", certs: certs(build, "dev") });
  await mountShare(vm);
  const r = await vm.exec("rauc install /mnt/host/panic.raucb", { timeoutMs: 900_000 });
  const journal = r.code === 0 ? "" : (await vm.exec("journalctl -b -o cat -u rauc.service | tail -n 30")).stdout;
  expect(r.code, `${r.stdout.slice(-1500)}${r.stderr}\nrauc.service:\n${journal}`).toBe(0);
  await vm.reboot("uboot");
  const failedBoots: UbootBootRecord[] = [];
  while (vm.current!.slot === "B" && failedBoots.length < 4) {
    failedBoots.push(await vm.waitForOff(180_000));
    await vm.powerOn("uboot");
  }
  expect(failedBoots.map((b) => [b.slot, b.leftBefore, b.end]), "U-Boot's lines for the boots after the install").toEqual([["B", 3, "guest-reset"], ["B", 2, "guest-reset"], ["B", 1, "guest-reset"]]);
  for (const b of failedBoots) {
    const cycle = ubootCycles(vm.consoleLog(b)).find((c) => c.slot)!;
    expect(cycle.panic, `boot ${b.n}: a kernel panic\n${cycle.text.slice(-1500)}`).toBeDefined();
    expect(/^\[\s*\d+\.\d+\] systemd\[1\]/m.test(cycle.text), `boot ${b.n}: no userspace ran`).toBe(false);
  }
  expect(vm.current!.slot, "the boot after three failed ones").toBe("A");
  await vm.waitForShell();
  await vm.waitUntil("systemctl is-active -q multi-user.target", "multi-user.target on slot A", 300_000);
  expect(await vm.succeed("fw_printenv BOOT_B_LEFT")).toBe("BOOT_B_LEFT=0\n");
});
