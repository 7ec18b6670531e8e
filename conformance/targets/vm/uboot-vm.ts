import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { sleep, type TargetDescription } from "../driver.js";
import { qemuMachine, ubootDiskArgs } from "./machine.js";
import { networkArgs, qemuVersion, shellAndWatchdogArgs, type BootEnd, type QemuTwinOptions } from "./qemu-common.js";
import { QemuTwinTarget } from "./qemu-twin-target.js";
import { QmpClient, type QmpEvent } from "./qmp.js";
import { TestShell } from "./test-shell.js";
import { ubootCycles, ubootLines } from "./uboot-console.js";

/**
 * The `vm` target on the arm64 twin: its flash image in QEMU under TCG (KVM is not
 * usable here), booted by the twin's U-Boot (`-bios`), whose RAUC boot method picks the slot,
 * decrements and saves its counter in the env at 1 MiB of the disk, and runs the
 * slot's real `boot.scr`. The driver never writes the env and never builds a command
 * line: it powers the machine, follows the console (U-Boot's "Booting slot A, 3 of 3
 * tries left" is the evidence of what the bootloader chose) and may read the env.
 * Guest reboots and watchdog resets stay inside QEMU and go through U-Boot again, as
 * on a board; QMP's RESET events cut the console into boots.
 *
 * Commands run through the twin's test-driver shell on the virtio console (hvc0,
 * enabled by `atomicnix.twin.test-shell=1` in the env's extra kernel arguments); the
 * serial console (U-Boot, kernel) goes to a log file. Power cut = SIGKILL to QEMU
 * (no sync). The i6300esb watchdog is present.
 */
export interface UbootVmOptions extends QemuTwinOptions {
  /** the U-Boot binary QEMU runs as its firmware (the arm64 build's `uboot`) */
  firmware: string;
}

/** the VM twin booted by U-Boot is the Rock64's architecture */
export const UBOOT_VM_ARCH = "arm64";

export interface UbootBootRecord {
  n: number;
  /** the slot U-Boot's RAUC boot method booted ("" until it said so) */
  slot: string;
  /** BOOT_<slot>_LEFT before U-Boot decremented it, from U-Boot's own line */
  leftBefore: number;
  /** U-Boot found every slot at zero first, reset all counters and the machine */
  triesReset: boolean;
  /** host clock (ms) at power-on or at the reset that began this boot */
  startedAt: number;
  /** ms from power-on or reset to U-Boot's "Starting kernel" */
  ubootMs?: number;
  /** U-Boot's lines of this boot (banner to the kernel's first line) */
  uboot: string[];
  /** ms from power-on or reset to multi-user.target (when waited for) */
  multiUserMs?: number;
  end: BootEnd;
  events: QmpEvent[];
  /** where this boot's serial console is: the power-on's log file from `start` (to `end` once the boot was reset) */
  console: { file: string; start: number; end?: number };
}

export class UbootVmTarget extends QemuTwinTarget<UbootBootRecord, "multi-user" | "shell" | "uboot"> {
  protected declare readonly options: UbootVmOptions;
  private qmp: QmpClient | undefined;
  /** a boot that began by a reset and that no powerOn has followed yet */
  private unclaimed: UbootBootRecord | undefined;

  constructor(options: UbootVmOptions) {
    super(options);
  }

  describe(): TargetDescription {
    return {
      kind: "vm",
      arch: this.options.arch ?? UBOOT_VM_ARCH,
      imageHash: this.options.imageHash,
      qemuVersion: qemuVersion(qemuMachine(this.options.arch ?? UBOOT_VM_ARCH).binary),
      accel: "tcg",
      firmware: "u-boot",
      boots: this.boots.length,
    };
  }

  /**
   * Follows the next boot: powers the machine on when it is off, or takes the boot a
   * guest reboot or watchdog reset began. Returns once U-Boot has named the slot and
   * `wait` is reached: "multi-user" (default), "shell" (the test shell answers; for
   * boots that are expected to fail later) or "uboot" (U-Boot chose a slot).
   */
  async powerOn(wait: "multi-user" | "shell" | "uboot" = "multi-user"): Promise<UbootBootRecord> {
    let record = this.unclaimed;
    this.unclaimed = undefined;
    if (!record) {
      if (this.qemu) throw new Error(`powerOn: the VM is already running (boot ${this.current?.n})`);
      record = this.spawnQemu();
    }
    const chosen = await this.ubootChoice(record);
    this.options.log?.(`boot ${record.n}: U-Boot booted slot ${chosen.slot} (${chosen.leftBefore} of 3 tries left before its decrement)${chosen.triesReset ? " after resetting all tries" : ""}`);
    if (wait === "uboot") return record;
    await this.shell!.ready(300_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.qemuStderr.slice(-500)}${this.consoleLog(record).slice(-3000)}`);
    });
    if (wait === "shell") return record;
    // multi-user.target active = "reached multi-user" (a oneshot still running after it,
    // e.g. first-boot waiting for provisioning, keeps is-system-running at "starting").
    await this.waitUntil("systemctl is-active -q multi-user.target", "multi-user.target", 300_000);
    record.multiUserMs = Date.now() - record.startedAt;
    this.options.log?.(`boot ${record.n}: multi-user.target after ${(record.multiUserMs / 1000).toFixed(1)} s (U-Boot ${((record.ubootMs ?? 0) / 1000).toFixed(1)} s)`);
    return record;
  }

  private spawnQemu(): UbootBootRecord {
    const n = this.boots.length + 1;
    const sock = join(this.options.workDir, "shell.sock");
    const qmpSock = join(this.options.workDir, "qmp.sock");
    for (const f of [sock, qmpSock]) rmSync(f, { force: true });
    const serial = join(this.options.workDir, `serial-${n}.log`);
    const machine = qemuMachine(this.options.arch ?? UBOOT_VM_ARCH);
    this.launch(machine.binary, [
      ...machine.args, "-smp", "2", "-m", String(this.options.memoryMiB ?? 1024),
      "-nographic", "-nodefaults", "-bios", this.options.firmware,
      "-serial", `file:${serial}`,
      "-qmp", `unix:${qmpSock},server=on,wait=off`,
      ...ubootDiskArgs(this.disk),
      ...shellAndWatchdogArgs(sock),
      ...networkArgs(this.options),
    ], () => this.onExit());
    const record = this.beginBoot(Date.now(), { file: serial, start: 0 });
    this.shell = new TestShell(sock, () => this.qemu !== undefined, () => `${this.current?.n} (${this.current?.end})`);
    this.options.log?.(`boot ${n}: power on`);
    void QmpClient.connect(qmpSock, 20_000).then(
      (qmp) => {
        this.qmp = qmp;
        qmp.onEvent = (e) => this.onEvent(e);
      },
      (e: Error) => this.options.log?.(`boot ${n}: ${e.message}`),
    );
    return record;
  }

  private beginBoot(startedAt: number, console: UbootBootRecord["console"]): UbootBootRecord {
    const record: UbootBootRecord = { n: this.boots.length + 1, slot: "", leftBefore: 0, triesReset: false, startedAt, uboot: [], end: "running", events: [], console };
    this.boots.push(record);
    return record;
  }

  private onEvent(e: QmpEvent): void {
    const record = this.current;
    if (!record) return;
    record.events.push(e);
    if (e.event !== "RESET") return;
    const console = { file: record.console.file, start: this.consoleSize(record.console.file) };
    // U-Boot resets the machine itself when every slot is at zero, before it boots
    // any: that is part of the same boot, not a boot of its own
    if (!record.slot) {
      record.triesReset = record.triesReset || ubootCycles(this.consoleLog(record)).some((c) => c.resetAllTries);
      return;
    }
    record.end = record.events.some((x) => x.event === "WATCHDOG") ? "watchdog-reset" : "guest-reset";
    record.console.end = console.start;
    this.options.log?.(`boot ${record.n}: ended (${record.end})`);
    this.shell?.newBoot();
    this.unclaimed = this.beginBoot(e.at, console);
  }

  private onExit(): void {
    const record = this.current;
    if (record && record.end === "running") {
      const shutdown = record.events.find((e) => e.event === "SHUTDOWN");
      record.end = this.killedByHarness ? "power-cut" : shutdown?.data?.reason === "guest-shutdown" ? "guest-poweroff" : "exited";
      this.options.log?.(`boot ${record.n}: ended (${record.end})`);
    }
    this.unclaimed = undefined;
    this.qmp?.close();
    this.qmp = undefined;
    this.shell?.close();
    this.shell = undefined;
    this.qemu = undefined;
  }

  /** Waits for U-Boot's line naming the slot of this boot, and follows it to "Starting kernel". */
  private async ubootChoice(record: UbootBootRecord): Promise<UbootBootRecord> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const cycles = ubootCycles(this.consoleLog(record));
      record.triesReset ||= cycles.some((c) => c.resetAllTries);
      const cycle = cycles.filter((c) => c.slot).at(-1);
      if (cycle && !record.slot) {
        record.slot = cycle.slot!;
        record.leftBefore = cycle.triesBefore!;
      }
      if (cycle?.kernelStarted) {
        record.ubootMs ??= Date.now() - record.startedAt;
        record.uboot = ubootLines(cycle);
        return record;
      }
      if (record.end !== "running") break;
      await sleep(100);
    }
    throw new Error(`boot ${record.n}: U-Boot did not start a kernel (${record.end})\n${this.qemuStderr.slice(-500)}${this.consoleLog(record).slice(-3000)}`);
  }

  private consoleSize(file: string): number {
    try {
      return readFileSync(file).length;
    } catch {
      return 0;
    }
  }

  /** The serial console (U-Boot and kernel) of one boot, the current one by default. */
  consoleLog(record: UbootBootRecord | undefined = this.current): string {
    if (!record) return "";
    try {
      return readFileSync(record.console.file).subarray(record.console.start, record.console.end).toString("utf8");
    } catch {
      return "";
    }
  }

  /** Waits until the boot running now has ended (guest reboot or poweroff, watchdog reset); returns its record. */
  async waitForOff(timeoutMs: number): Promise<UbootBootRecord> {
    const record = this.current!;
    const deadline = Date.now() + timeoutMs;
    while (record.end === "running") {
      if (Date.now() > deadline) throw new Error(`boot ${record.n} (slot ${record.slot}) did not end within ${timeoutMs} ms\n${this.consoleLog(record).slice(-2000)}`);
      await sleep(100);
    }
    return record;
  }

  /** Waits until the test shell of the boot running now answers (after powerOn("uboot")). */
  async waitForShell(): Promise<void> {
    if (!this.shell) throw new Error("VM is not running");
    await this.shell.ready(300_000);
  }
}
