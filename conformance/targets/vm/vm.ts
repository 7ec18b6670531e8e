import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { must, type TargetDescription } from "../driver.js";
import { chooseSlot, SLOT_PARTITIONS } from "./bootmeth.js";
import { qemuMachine } from "./machine.js";
import { BOOT_PART_OFFSETS, fwEnvConfig, networkArgs, qemuVersion, shellAndWatchdogArgs, type BootEnd, type QemuTwinOptions } from "./qemu-common.js";
import { QemuTwinTarget } from "./qemu-twin-target.js";
import { QmpClient, type QmpEvent } from "./qmp.js";
import { TestShell } from "./test-shell.js";

export { WAN_SERVICE_ADDRESS } from "./qemu-common.js";

/**
 * The `vm` target: the twin's flash image in QEMU under TCG (KVM is not usable
 * here). The driver plays boot ROM + U-Boot's RAUC bootmeth from the host: before
 * each boot it reads BOOT_ORDER/BOOT_x_LEFT from the image with fw_printenv (a
 * `FILE OFFSET SIZE` fw_env.config), picks the slot, decrements and writes back,
 * then boots that slot's kernel and initrd (copied out of its vfat with mtools) with
 * `rauc.slot=` and `atomicnix.lowerdev=`. On Rock64 U-Boot's bootmeth does this.
 *
 * Commands run through the twin's test-driver shell on the virtio console (hvc0,
 * enabled only by `atomicnix.twin.test-shell=1`); the kernel console (ttyS0) goes to
 * a log file. Power cut = SIGKILL to QEMU (no sync). The i6300esb watchdog is present.
 */
export type VmOptions = QemuTwinOptions;

export interface BootRecord {
  n: number;
  slot: string;
  /** BOOT_<slot>_LEFT before the bootmeth decremented it */
  leftBefore: number;
  /** host clock (ms) at power-on; QEMU's events carry the host time they arrived */
  startedAt: number;
  /** ms from QEMU start to multi-user.target (when waited for) */
  multiUserMs?: number;
  end: BootEnd;
  events: QmpEvent[];
}

export class VmTarget extends QemuTwinTarget<BootRecord, "multi-user" | "shell" | "none"> {
  private qmp: QmpClient | undefined;

  constructor(options: VmOptions) {
    super(options);
  }

  describe(): TargetDescription {
    return {
      kind: "vm",
      arch: this.options.arch ?? "amd64",
      imageHash: this.options.imageHash,
      qemuVersion: qemuVersion(qemuMachine(this.options.arch ?? "amd64").binary),
      accel: "tcg",
      boots: this.boots.length,
      emulatorFaults: this.emulatorFaults.length,
    };
  }

  private fwEnvArgs(): string[] {
    return ["-c", fwEnvConfig(this.options)];
  }

  /** The bootmeth step: pick, decrement, save; undefined when no slot has tries left. */
  private async selectSlot(): Promise<{ slot: string; leftBefore: number } | undefined> {
    const env = await this.readEnv();
    const choice = chooseSlot(env);
    if (!choice) return undefined;
    await must(["fw_setenv", ...this.fwEnvArgs(), `BOOT_${choice.slot}_LEFT`, String(choice.leftAfter)]);
    return { slot: choice.slot, leftBefore: choice.leftAfter + 1 };
  }

  /**
   * Power on: the bootmeth picks the slot, QEMU boots its kernel and initrd.
   * `wait`: "multi-user" (default), "shell" (the test shell answers; for boots that are
   * expected to fail later) or "none".
   */
  async powerOn(wait: "multi-user" | "shell" | "none" = "multi-user"): Promise<BootRecord> {
    if (this.qemu) throw new Error("powerOn: the VM is already running");
    const choice = await this.selectSlot();
    if (!choice) throw new Error("bootmeth: no slot in BOOT_ORDER has attempts left (U-Boot would stop here)");
    const record: BootRecord = { n: this.boots.length + 1, slot: choice.slot, leftBefore: choice.leftBefore, startedAt: Date.now(), end: "running", events: [] };
    this.boots.push(record);
    this.options.log?.(`boot ${record.n}: power on, bootmeth picked slot ${record.slot} (tries left ${record.leftBefore} -> ${record.leftBefore - 1})`);
    const [, rootPart] = SLOT_PARTITIONS[choice.slot]!;
    const dir = join(this.options.workDir, `boot-${record.n}`);
    mkdirSync(dir, { recursive: true });
    for (const f of ["Image", "initrd"]) await must(["mcopy", "-o", "-i", `${this.disk}@@${BOOT_PART_OFFSETS[choice.slot]}`, `::/${f}`, join(dir, f)]);
    const sock = join(this.options.workDir, "shell.sock");
    const qmpSock = join(this.options.workDir, "qmp.sock");
    for (const f of [sock, qmpSock]) rmSync(f, { force: true });
    this.serialPath = join(this.options.workDir, `serial-${record.n}.log`);
    // boot.cmd's command line, plus what only the twin needs: kernel-named NICs in PCI
    // order (Rock64 names eth0 by a .link file) and the test shell on hvc0.
    const machine = qemuMachine(this.options.arch ?? "amd64");
    const append = `console=${machine.console} root=fstab rauc.slot=${choice.slot} atomicnix.lowerdev=/dev/vda${rootPart} net.ifnames=0 atomicnix.twin.test-shell=1 panic=10`;
    const t0 = Date.now();
    this.launch(machine.binary, [
      ...machine.args, "-smp", "2", "-m", String(this.options.memoryMiB ?? 1024),
      "-nographic", "-nodefaults", "-no-reboot",
      "-serial", `file:${this.serialPath}`,
      "-qmp", `unix:${qmpSock},server=on,wait=off`,
      "-kernel", join(dir, "Image"), "-initrd", join(dir, "initrd"), "-append", append,
      "-drive", `file=${this.disk},format=raw,if=virtio,cache=unsafe`,
      ...shellAndWatchdogArgs(sock),
      ...networkArgs(this.options),
    ], () => this.onExit(record));
    this.qmp = await QmpClient.connect(qmpSock, 20_000);
    record.events = this.qmp.events;
    this.shell = new TestShell(sock, () => this.qemu !== undefined, () => `${record.n} (${record.end})`);
    if (wait === "none") return record;
    try {
      await this.shell.ready(300_000);
    } catch (e) {
      if (!(await this.emulatorFault(record))) throw new Error(`${(e as Error).message}\n${this.qemuStderr.slice(-500)}${this.consoleLog().slice(-3000)}`);
      return this.powerOn(wait);
    }
    if (wait === "shell") return record;
    // multi-user.target active = "reached multi-user" (a oneshot still running after it,
    // e.g. first-boot waiting for provisioning, keeps is-system-running at "starting").
    await this.waitUntil("systemctl is-active -q multi-user.target", "multi-user.target", 300_000);
    record.multiUserMs = Date.now() - t0;
    this.options.log?.(`boot ${record.n}: multi-user.target after ${(record.multiUserMs / 1000).toFixed(1)} s`);
    return record;
  }

  private onExit(record: BootRecord): void {
    const events = record.events.map((e) => e.event);
    const shutdown = record.events.find((e) => e.event === "SHUTDOWN");
    if (events.includes("WATCHDOG")) record.end = "watchdog-reset";
    else if (this.killedByHarness) record.end = "power-cut";
    else if (shutdown?.data?.reason === "guest-reset") record.end = "guest-reset";
    else if (shutdown?.data?.reason === "guest-shutdown") record.end = "guest-poweroff";
    else record.end = "exited";
    this.options.log?.(`boot ${record.n}: ended (${record.end})`);
    this.qmp?.close();
    this.qmp = undefined;
    this.shell?.close();
    this.shell = undefined;
    this.qemu = undefined;
  }

  /**
   * Multi-threaded TCG occasionally breaks the kernel's own code patching while it
   * boots (an `int3` Oops before userspace; a QEMU defect, not the device's). Such an
   * attempt never reached the initrd, so nothing of the device ran: the driver takes
   * back the try its bootmeth consumed, records the fault and powers on again, at
   * most twice per boot. Any failure after the kernel started /init stays a boot.
   */
  readonly emulatorFaults: { boot: number; slot: string; line: string }[] = [];
  private async emulatorFault(record: BootRecord): Promise<boolean> {
    await this.exited;
    const log = this.consoleLog();
    const panic = /Kernel panic[^\n]*/.exec(log);
    if (!panic || /Run \/init as init process/.test(log)) return false;
    if (this.emulatorFaults.filter((f) => f.boot === record.n).length >= 2) return false;
    await must(["fw_setenv", ...this.fwEnvArgs(), `BOOT_${record.slot}_LEFT`, String(record.leftBefore)]);
    this.emulatorFaults.push({ boot: record.n, slot: record.slot, line: panic[0] });
    this.boots.pop();
    this.options.log?.(`boot ${record.n}: emulator fault before /init (${panic[0].trim()}); try restored, powering on again`);
    return true;
  }

  private serialPath = "";
  consoleLog(): string {
    try {
      return readFileSync(this.serialPath, "utf8");
    } catch {
      return "";
    }
  }

  /** Waits until QEMU is off by itself (guest reboot/poweroff, watchdog reset); returns how that boot ended. */
  async waitForOff(timeoutMs: number): Promise<BootRecord> {
    const record = this.current!;
    if (this.qemu && !(await Promise.race([this.exited!.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), timeoutMs))]))) {
      throw new Error(`boot ${record.n} (slot ${record.slot}) did not end within ${timeoutMs} ms\n${this.consoleLog().slice(-2000)}`);
    }
    return record;
  }
}
