import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { TargetBase, type ExecOptions, type ExecResult } from "../driver.js";
import { diskPartitionSha256, flash, readDiskEnv, type QemuTwinOptions } from "./qemu-common.js";
import type { TestShell } from "./test-shell.js";

/** What every boot record of a QEMU twin says. */
export interface TwinBoot {
  n: number;
  slot: string;
  /** ms from power-on (or reset) to multi-user.target (when waited for) */
  multiUserMs?: number;
}

/**
 * What both QEMU twins do alike: flash and power on, the host's reads of the disk,
 * commands through the test shell, an orderly reboot, and a power cut (SIGKILL to
 * QEMU). How a boot begins, which slot it runs and how it ends is each driver's own:
 * the amd64 driver plays the boot method, the arm64 one follows U-Boot.
 */
export abstract class QemuTwinTarget<Boot extends TwinBoot, Wait extends string> extends TargetBase {
  readonly disk: string;
  readonly boots: Boot[] = [];
  protected qemu: ChildProcess | undefined;
  protected exited: Promise<void> | undefined;
  protected shell: TestShell | undefined;
  protected killedByHarness = false;
  protected qemuStderr = "";

  constructor(protected readonly options: QemuTwinOptions) {
    super();
    this.disk = join(options.workDir, "disk.img");
  }

  /** Starts QEMU (power on); `onExit` runs when the process ends, however it ends. */
  protected launch(binary: string, args: string[], onExit: () => void): void {
    this.killedByHarness = false;
    this.qemuStderr = "";
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stderr!.on("data", (d: Buffer) => (this.qemuStderr += d.toString()));
    this.qemu = child;
    this.exited = new Promise((r) => child.on("exit", () => r()));
    void this.exited.then(onExit);
  }

  /** Follows the next boot to `wait` (powering on when the machine is off). */
  abstract powerOn(wait?: Wait): Promise<Boot>;
  /** Waits until the boot running now has ended; returns its record. */
  abstract waitForOff(timeoutMs: number): Promise<Boot>;

  get bootTimes(): number[] {
    return this.boots.flatMap((b) => (b.multiUserMs === undefined ? [] : [b.multiUserMs]));
  }

  get bootedSlots(): string[] {
    return this.boots.map((b) => b.slot);
  }

  get current(): Boot | undefined {
    return this.boots.at(-1);
  }

  /** Flashes the image onto a fresh, larger disk (sparse), adds bootFiles to boot-a, and boots (`wait` as in powerOn). */
  async start(wait?: Wait): Promise<void> {
    await flash(this.options, this.disk);
    await this.powerOn(wait);
  }

  /** The U-Boot environment as saved on the disk (host side, libubootenv). */
  readEnv(): Promise<Record<string, string>> {
    return readDiskEnv(this.options);
  }

  /** SHA-256 of a partition of the disk (or its first `length` bytes), read on the host (fast; TCG hashing is slow). */
  partitionSha256(partition: number, length?: number): Promise<string> {
    return diskPartitionSha256(this.disk, partition, length);
  }

  /** Runs a command in the guest's test shell (as root). */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (!this.shell) return Promise.reject(new Error("VM is not running"));
    return this.shell.exec(command, options);
  }

  /** Orderly reboot: the guest reboots; follows the new boot to `wait`. */
  async reboot(wait?: Wait): Promise<void> {
    this.shell?.send("systemctl reboot");
    await this.waitForOff(300_000);
    await this.powerOn(wait);
  }

  /** Kills QEMU without any sync: what the guest had not written is lost. */
  async cutPower(): Promise<void> {
    if (!this.qemu) return;
    this.killedByHarness = true;
    this.qemu.kill("SIGKILL");
    await this.exited;
  }

  async powerCut(): Promise<void> {
    await this.cutPower();
    await this.powerOn();
  }

  async stop(): Promise<void> {
    await this.cutPower();
  }
}
