import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, createReadStream, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { TargetBase, must, sleep, type ExecOptions, type ExecResult, type TargetDescription } from "../driver.js";
import { chooseSlot, SLOT_PARTITIONS, type UbootEnv } from "./bootmeth.js";
import { qemuMachine } from "./machine.js";
import { QmpClient, type QmpEvent } from "./qmp.js";
import { ubootCycles, ubootLines, type UbootCycle } from "./uboot-console.js";

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
export interface VmOptions {
  /** the built flash image (copied, never modified) */
  image: string;
  workDir: string;
  imageHash?: string;
  arch?: string;
  /** disk size the image is flashed onto (default 4 GiB) */
  diskBytes?: number;
  envOffset?: number;
  envSize?: number;
  memoryMiB?: number;
  /** files put on boot-a of the fresh flash before its first boot (an operator's config.toml) */
  bootFiles?: Record<string, string | Buffer>;
  /** host directory the guest can mount read-only: `mount -t 9p -o trans=virtio,ro host /mnt` */
  share?: string;
  /** LAN (eth1) TCP ports of 172.20.30.1 reachable from the host: guest port -> host port on 127.0.0.1 */
  lanForwards?: Record<number, number>;
  /** WAN (eth0) services: guest connections to 10.0.2.100:<port> reach 127.0.0.1:<host port> */
  wanServices?: Record<number, number>;
  /** progress lines (power on, multi-user, how each boot ended) */
  log?: (line: string) => void;
  /**
   * U-Boot for QEMU's -bios (arm64 twin): the firmware on the image's disk boots by
   * itself, resets stay inside QEMU and go through U-Boot again. Without it the
   * driver boots the slot's kernel directly (amd64, bootmeth.ts).
   */
  bios?: string;
}

const MiB = 1024 * 1024;
const BOOT_PART_OFFSETS: Record<string, number> = { A: 16 * MiB, B: 1168 * MiB };
/** the WAN address where wanServices appear to the guest (QEMU user networking) */
export const WAN_SERVICE_ADDRESS = "10.0.2.100";

/** How one power-on ended, from QEMU's own events (QMP), not from the test's intent. */
export type BootEnd = "running" | "guest-reset" | "guest-poweroff" | "watchdog-reset" | "power-cut" | "exited";

export interface BootRecord {
  n: number;
  slot: string;
  /** BOOT_<slot>_LEFT before the bootmeth decremented it (U-Boot's own "N of 3 tries left" with bios) */
  leftBefore: number;
  /** with bios: U-Boot's console lines of this boot (banner to "Starting kernel") */
  uboot?: string[];
  /** with bios: ms from power-on or reset to U-Boot's "Starting kernel" */
  ubootMs?: number;
  /** host clock (ms) when QEMU reported the end (reset, exit) */
  endedAt?: number;
  /** host clock (ms) at power-on; QEMU's events carry the host time they arrived */
  startedAt: number;
  /** ms from QEMU start to multi-user.target (when waited for) */
  multiUserMs?: number;
  end: BootEnd;
  events: QmpEvent[];
}

export class VmTarget extends TargetBase {
  readonly disk: string;
  private qemu: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private qmp: QmpClient | undefined;
  private shell: Socket | undefined;
  private buffer = "";
  private killedByHarness = false;
  readonly boots: BootRecord[] = [];

  constructor(private readonly options: VmOptions) {
    super();
    this.disk = join(options.workDir, "disk.img");
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
      bootloader: this.options.bios ? "u-boot (-bios, RAUC boot method, boot.scr)" : "driver (-kernel, bootmeth.ts)",
      hostEnvWrites: this.envWrites.length,
    };
  }

  get bootTimes(): number[] {
    return this.boots.flatMap((b) => (b.multiUserMs === undefined ? [] : [b.multiUserMs]));
  }

  get bootedSlots(): string[] {
    return this.boots.map((b) => b.slot);
  }

  get current(): BootRecord | undefined {
    return this.boots.at(-1);
  }

  /** Flashes the image onto a fresh, larger disk (sparse), adds bootFiles to boot-a, and boots. */
  async start(): Promise<void> {
    mkdirSync(this.options.workDir, { recursive: true });
    copyFileSync(this.options.image, this.disk);
    truncateSync(this.disk, this.options.diskBytes ?? 4096 * MiB);
    writeFileSync(join(this.options.workDir, "fw_env.config"), `${this.disk} 0x${(this.options.envOffset ?? 0x100000).toString(16)} 0x${(this.options.envSize ?? 0x4000).toString(16)}\n`);
    for (const [name, content] of Object.entries(this.options.bootFiles ?? {})) {
      const file = join(this.options.workDir, `bootfile-${name.replace(/\W/g, "_")}`);
      writeFileSync(file, content);
      await must(["mcopy", "-o", "-i", `${this.disk}@@${BOOT_PART_OFFSETS.A}`, file, `::/${name}`]);
    }
    await this.powerOn();
  }

  private fwEnvArgs(): string[] {
    return ["-c", join(this.options.workDir, "fw_env.config")];
  }

  /** The U-Boot environment as the board's U-Boot would read it (host side, libubootenv). */
  async readEnv(): Promise<UbootEnv> {
    const out = await must(["fw_printenv", ...this.fwEnvArgs()]);
    return Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  }

  /** SHA-256 of a partition of the disk (or its first `length` bytes), read on the host (fast; TCG hashing is slow). */
  async partitionSha256(partition: number, length?: number): Promise<string> {
    const table = JSON.parse(await must(["sfdisk", "--json", this.disk])) as { partitiontable: { sectorsize?: number; partitions: { node: string; start: number; size: number }[] } };
    const p = table.partitiontable.partitions.find((x) => new RegExp(`[^0-9]${partition}$`).test(x.node));
    if (!p) throw new Error(`no partition ${partition} on ${this.disk}`);
    const sector = table.partitiontable.sectorsize ?? 512;
    if (length !== undefined && length > p.size * sector) throw new Error(`partition ${partition} is shorter than ${length} bytes`);
    const hash = createHash("sha256");
    await new Promise<void>((resolve, reject) => {
      createReadStream(this.disk, { start: p.start * sector, end: p.start * sector + (length ?? p.size * sector) - 1, highWaterMark: 4 * MiB })
        .on("data", (d) => hash.update(d))
        .on("end", () => resolve())
        .on("error", reject);
    });
    return hash.digest("hex");
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
    if (this.options.bios) return this.nextUbootBoot(wait);
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
    this.killedByHarness = false;
    this.spawnQemu(machine.binary, [
      ...machine.args, "-smp", "2", "-m", String(this.options.memoryMiB ?? 1024),
      "-nographic", "-nodefaults", "-no-reboot",
      "-serial", `file:${this.serialPath}`,
      "-qmp", `unix:${qmpSock},server=on,wait=off`,
      "-kernel", join(dir, "Image"), "-initrd", join(dir, "initrd"), "-append", append,
      "-drive", `file=${this.disk},format=raw,if=virtio,cache=unsafe`,
      ...this.deviceArgs(sock),
    ]);
    void this.exited!.then(() => this.onExit(record));
    this.qmp = await QmpClient.connect(qmpSock, 20_000);
    record.events = this.qmp.events;
    if (wait === "none") return record;
    try {
      await this.connectShell(sock, 180_000);
    } catch (e) {
      if (!(await this.emulatorFault(record))) throw e;
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

  // ---- U-Boot in the chain (options.bios): QEMU runs until a power cut; U-Boot boots
  // every power-on and reset by itself, and the driver only follows its console.

  /** every write the driver made to the env from the host, with its reason (evidence) */
  readonly envWrites: { boot: number; variable: string; value: string; reason: string }[] = [];
  /** U-Boot's all-slots-at-zero resets seen (no slot booted in that cycle) */
  readonly ubootResets: { afterBoot: number; lines: string[] }[] = [];
  private cyclesUsed = 0;
  /** host times of each console cycle's start (QEMU start, then each RESET) and of its "Starting kernel" */
  private cycleStarts: number[] = [];
  private kernelSeen = new Map<number, number>();
  private watcher: NodeJS.Timeout | undefined;
  private qemuRuns = 0;
  /** console of each boot: QEMU run and cycle */
  private cycleOf = new Map<BootRecord, { run: number; index: number; serial: string }>();

  /** which QEMU run (power-on) a boot belonged to: boots through resets share one */
  powerOnOf(record: BootRecord): number | undefined {
    return this.cycleOf.get(record)?.run;
  }

  /** The whole console text of one boot (U-Boot, kernel, initrd, systemd), as the serial port saw it. */
  bootConsole(record: BootRecord): string {
    const at = this.cycleOf.get(record);
    if (!at) return "";
    let text = "";
    try {
      text = readFileSync(at.serial, "utf8");
    } catch {
      return "";
    }
    return ubootCycles(text)[at.index]?.text ?? "";
  }

  private fillUbootLines(record: BootRecord): void {
    if (record.uboot) return;
    const at = this.cycleOf.get(record);
    const c = at && at.run === this.qemuRuns ? ubootCycles(this.consoleLog())[at.index] : undefined;
    if (c) record.uboot = ubootLines(c);
  }

  private spawnUbootQemu(): Promise<void> {
    const machine = qemuMachine(this.options.arch ?? "arm64");
    const sock = join(this.options.workDir, "shell.sock");
    const qmpSock = join(this.options.workDir, "qmp.sock");
    for (const f of [sock, qmpSock]) rmSync(f, { force: true });
    this.qemuRuns += 1;
    this.serialPath = join(this.options.workDir, `serial-power-on-${this.qemuRuns}.log`);
    this.cyclesUsed = 0;
    this.cycleStarts = [Date.now()];
    this.kernelSeen = new Map();
    this.killedByHarness = false;
    // One disk, two views: U-Boot's RAUC boot method reads only MMC (the SD card),
    // Linux uses virtio-blk (module_blacklist=sdhci_pci in the env's extra args).
    this.spawnQemu(machine.binary, [
      ...machine.args, "-smp", "2", "-m", String(this.options.memoryMiB ?? 1024),
      "-nographic", "-nodefaults", "-bios", this.options.bios!,
      "-serial", `file:${this.serialPath}`,
      "-qmp", `unix:${qmpSock},server=on,wait=off`,
      "-blockdev", `driver=file,filename=${this.disk},node-name=f0,cache.no-flush=on`,
      "-blockdev", "driver=raw,file=f0,node-name=disk0",
      "-device", "sdhci-pci", "-device", "sd-card,drive=disk0",
      "-device", "virtio-blk-pci,drive=disk0,share-rw=on",
      ...this.deviceArgs(sock),
    ]);
    void this.exited!.then(() => this.onUbootQemuExit());
    this.watcher = setInterval(() => this.watchConsole(), 100);
    return QmpClient.connect(qmpSock, 20_000).then((qmp) => {
      this.qmp = qmp;
      qmp.onEvent = (e) => this.onUbootEvent(e);
    });
  }

  /** timestamps "Starting kernel" of each cycle as it appears (U-Boot's share of a boot) */
  private watchConsole(): void {
    const cycles = ubootCycles(this.consoleLog());
    cycles.forEach((c, i) => {
      if (c.kernelStarted && !this.kernelSeen.has(i)) this.kernelSeen.set(i, Date.now());
    });
  }

  private onUbootEvent(e: QmpEvent): void {
    const record = this.current;
    if (record && record.end === "running") record.events.push(e);
    if (e.event !== "RESET") return;
    this.cycleStarts.push(e.at);
    if (!record || record.end !== "running") return;
    this.fillUbootLines(record);
    record.end = record.events.some((x) => x.event === "WATCHDOG") ? "watchdog-reset" : "guest-reset";
    record.endedAt = e.at;
    this.options.log?.(`boot ${record.n}: ended (${record.end}); U-Boot runs again inside QEMU`);
    this.shell?.destroy();
    this.shell = undefined;
  }

  private onUbootQemuExit(): void {
    clearInterval(this.watcher);
    const record = this.current;
    if (record && record.end === "running") {
      this.fillUbootLines(record);
      record.end = this.killedByHarness ? "power-cut" : "exited";
      record.endedAt = Date.now();
      this.options.log?.(`boot ${record.n}: ended (${record.end})`);
    }
    this.releaseQemu();
  }

  /**
   * The next boot U-Boot makes: powers on if QEMU is off, then waits for the RAUC
   * boot method's "Booting slot X, N of 3 tries left" in a console cycle not yet
   * used. A cycle in which U-Boot found every slot at zero (counters reset, machine
   * reset) is recorded and passed over, as U-Boot passes over it.
   */
  private async nextUbootBoot(wait: "multi-user" | "shell" | "none"): Promise<BootRecord> {
    if (!this.qemu) {
      mkdirSync(this.options.workDir, { recursive: true });
      await this.spawnUbootQemu();
      this.options.log?.(`power on ${this.qemuRuns} (U-Boot ${this.options.bios})`);
    }
    const deadline = Date.now() + 180_000;
    let cycle: UbootCycle | undefined;
    let index = -1;
    while (!cycle) {
      if (!this.qemu) throw new Error(`QEMU exited before U-Boot booted a slot\n${this.qemuStderr.slice(-500)}${this.consoleLog().slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`U-Boot booted no slot within 180 s\n${this.consoleLog().slice(-3000)}`);
      const cycles = ubootCycles(this.consoleLog());
      for (let i = this.cyclesUsed; i < cycles.length && !cycle; i++) {
        const c = cycles[i]!;
        if (c.slot) {
          cycle = c;
          index = i;
        } else if (c.resetAllTries && i + 1 < cycles.length) {
          this.ubootResets.push({ afterBoot: this.boots.length, lines: ubootLines(c) });
          this.options.log?.(`U-Boot: every slot at 0 tries, counters reset to 3 and the machine reset`);
          this.cyclesUsed = i + 1;
        } else if (i + 1 < cycles.length) {
          throw new Error(`U-Boot reset without booting a slot:\n${ubootLines(c).join("\n")}`);
        }
      }
      if (!cycle) await sleep(100);
    }
    this.cyclesUsed = index + 1;
    const startedAt = this.cycleStarts[index] ?? Date.now();
    const record: BootRecord = { n: this.boots.length + 1, slot: cycle.slot!, leftBefore: cycle.triesBefore!, startedAt, end: "running", events: [] };
    this.boots.push(record);
    this.cycleOf.set(record, { run: this.qemuRuns, index, serial: this.serialPath });
    this.options.log?.(`boot ${record.n}: U-Boot booted slot ${record.slot} ("${cycle.triesBefore} of 3 tries left")`);
    if (wait === "none") return record;
    try {
      // a first boot on a loaded 2-core host reached systemd's generators after 130 s
      await this.connectShell(join(this.options.workDir, "shell.sock"), 480_000, () => this.bootGone(record, index));
    } catch (e) {
      if (!(await this.ubootEmulatorFault(record, index))) throw e;
      return this.nextUbootBoot(wait);
    }
    record.uboot = ubootLines(ubootCycles(this.consoleLog())[index]!);
    const kernelAt = this.kernelSeen.get(index);
    if (kernelAt !== undefined) {
      record.ubootMs = kernelAt - startedAt;
      this.options.log?.(`boot ${record.n}: U-Boot started the kernel ${(record.ubootMs / 1000).toFixed(1)} s after power-on/reset`);
    }
    if (wait === "shell") return record;
    await this.waitUntil("systemctl is-active -q multi-user.target", "multi-user.target", 300_000);
    record.multiUserMs = Date.now() - startedAt;
    this.options.log?.(`boot ${record.n}: multi-user.target after ${(record.multiUserMs / 1000).toFixed(1)} s`);
    return record;
  }

  /** why waiting for this boot's shell is pointless: it ended, or the kernel panicked */
  private bootGone(record: BootRecord, index: number): string | undefined {
    if (record.end !== "running") return `boot ${record.n} ended (${record.end}) before the test shell answered`;
    const c = ubootCycles(this.consoleLog())[index];
    if (c?.panic) return `kernel panic in boot ${record.n}: ${c.panic}`;
    return undefined;
  }

  /**
   * Multi-threaded TCG occasionally breaks the kernel's boot-time code patching (an
   * Oops before userspace; a QEMU defect). Such an attempt never reached /init, so
   * nothing of the device ran; but U-Boot counted it. The driver cuts the power,
   * gives the try back (the one host write to the env, logged in envWrites and
   * emulatorFaults, so the evidence shows it), and powers on again, at most twice
   * per boot. A panic after /init started stays a failed boot.
   */
  private async ubootEmulatorFault(record: BootRecord, index: number): Promise<boolean> {
    const c = ubootCycles(this.consoleLog())[index];
    if (!c?.panic || c.initStarted || record.end !== "running") return false;
    if (this.emulatorFaults.filter((f) => f.boot === record.n).length >= 2) return false;
    await this.cutPower();
    const variable = `BOOT_${record.slot}_LEFT`;
    await must(["fw_setenv", ...this.fwEnvArgs(), variable, String(record.leftBefore)]);
    this.envWrites.push({ boot: record.n, variable, value: String(record.leftBefore), reason: `emulator fault before /init: ${c.panic.trim()}` });
    this.emulatorFaults.push({ boot: record.n, slot: record.slot, line: c.panic });
    this.boots.pop();
    this.options.log?.(`boot ${record.n}: emulator fault before /init (${c.panic.trim()}); power cut, ${variable} restored to ${record.leftBefore}, powering on again`);
    return true;
  }

  /** the test shell's virtio console, the watchdog, the NICs and the 9p share: the same on both boot paths */
  private deviceArgs(sock: string): string[] {
    return [
      "-device", "virtio-serial", "-chardev", `socket,id=shell,path=${sock},server=on,wait=off`, "-device", "virtconsole,chardev=shell",
      "-device", "i6300esb", "-action", "watchdog=reset",
      ...this.networkArgs(),
      ...(this.options.share ? ["-virtfs", `local,path=${this.options.share},mount_tag=host,security_model=none,readonly=on`] : []),
    ];
  }

  /** QEMU is gone: drop its QMP connection and the test shell */
  private releaseQemu(): void {
    this.qmp?.close();
    this.qmp = undefined;
    this.shell?.destroy();
    this.shell = undefined;
    this.qemu = undefined;
  }

  private spawnQemu(binary: string, args: string[]): void {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stderr!.on("data", (d: Buffer) => (this.qemuStderr += d.toString()));
    this.qemu = child;
    this.exited = new Promise((r) => child.on("exit", () => r()));
  }

  private networkArgs(): string[] {
    const relay = join(this.options.workDir, "relay.cjs");
    writeFileSync(relay, RELAY_SOURCE);
    const wanFwd = Object.entries(this.options.wanServices ?? {}).map(([g, h]) => `,guestfwd=tcp:${WAN_SERVICE_ADDRESS}:${g}-cmd:node ${relay} ${h}`).join("");
    const lanFwd = Object.entries(this.options.lanForwards ?? {}).map(([g, h]) => `,hostfwd=tcp:127.0.0.1:${h}-172.20.30.1:${g}`).join("");
    // restrict=on: the guest reaches nothing on the host or beyond except what is forwarded.
    return [
      "-netdev", `user,id=wan,restrict=on,net=10.0.2.0/24${wanFwd}`,
      "-device", "virtio-net-pci,netdev=wan,mac=52:54:00:a7:00:01",
      "-netdev", `user,id=lan,restrict=on,net=172.20.30.0/24,host=172.20.30.2,dhcpstart=172.20.30.200${lanFwd}`,
      "-device", "virtio-net-pci,netdev=lan,mac=52:54:00:a7:00:02",
    ];
  }

  private onExit(record: BootRecord): void {
    const events = record.events.map((e) => e.event);
    const shutdown = record.events.find((e) => e.event === "SHUTDOWN");
    if (events.includes("WATCHDOG")) record.end = "watchdog-reset";
    else if (this.killedByHarness) record.end = "power-cut";
    else if (shutdown?.data?.reason === "guest-reset") record.end = "guest-reset";
    else if (shutdown?.data?.reason === "guest-shutdown") record.end = "guest-poweroff";
    else record.end = "exited";
    record.endedAt = Date.now();
    this.options.log?.(`boot ${record.n}: ended (${record.end})`);
    this.releaseQemu();
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

  private qemuStderr = "";
  private serialPath = "";
  consoleLog(): string {
    try {
      return readFileSync(this.serialPath, "utf8");
    } catch {
      return "";
    }
  }

  private async connectShell(path: string, timeoutMs: number, gone: () => string | undefined = () => undefined): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.buffer = "";
    while (Date.now() < deadline) {
      const why = gone();
      if (why) throw new Error(why);
      if (!this.qemu) throw new Error(`QEMU exited during boot ${this.current?.n} (${this.current?.end})\n${this.qemuStderr.slice(-500)}${this.consoleLog().slice(-3000)}`);
      const s = await new Promise<Socket | undefined>((resolve) => {
        const c = connect(path);
        c.once("connect", () => resolve(c));
        c.once("error", () => resolve(undefined));
      });
      if (s) {
        this.shell = s;
        s.on("data", (d: Buffer) => (this.buffer += d.toString("utf8")));
        s.on("error", () => undefined);
        break;
      }
      await sleep(200);
    }
    if (!this.shell) throw new Error("virtio console socket never appeared");
    // the shell prints a banner when it starts; probe until it answers
    while (Date.now() < deadline) {
      if (!this.qemu) break;
      const why = gone();
      if (why) throw new Error(why);
      const r = await this.exec("true", { timeoutMs: 3000 }).catch(() => undefined);
      if (r?.code === 0) return;
    }
    throw new Error(`test shell on hvc0 did not answer (boot ${this.current?.n}, ${this.current?.end})\n${this.consoleLog().slice(-3000)}`);
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** Runs a command in the guest's test shell; output is framed by a random marker. */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const next = this.queue.then(() => this.execNow(command, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async execNow(command: string, options: ExecOptions): Promise<ExecResult> {
    if (!this.shell) throw new Error("VM is not running");
    const shell = this.shell;
    const tag = `__AN_${Math.random().toString(36).slice(2)}__`;
    const b64 = Buffer.from(command).toString("base64");
    const input = options.input !== undefined ? Buffer.from(options.input).toString("base64") : "";
    this.buffer = "";
    const err = `/tmp/${tag}.err`;
    this.shell.write(
      `echo ${b64} | base64 -d > /tmp/${tag}.sh; echo '${input}' | base64 -d > /tmp/${tag}.in; ` +
        `echo ${tag}BEGIN; sh /tmp/${tag}.sh < /tmp/${tag}.in 2>${err}; rc=$?; echo; echo ${tag}ERR; cat ${err}; echo; echo ${tag}END $rc; rm -f /tmp/${tag}.*\n`,
    );
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const endRe = new RegExp(`${tag}END (\\d+)`);
    while (Date.now() < deadline) {
      const m = endRe.exec(this.buffer);
      if (m) {
        // the last BEGIN/ERR lines: an echoing terminal would repeat the command line first
        const text = this.buffer.replace(/\r\n/g, "\n");
        const end = text.lastIndexOf(`${tag}END`);
        const errAt = text.lastIndexOf(`\n${tag}ERR\n`, end);
        const out = text.slice(text.lastIndexOf(`${tag}BEGIN\n`, errAt) + tag.length + 6, errAt + 1);
        const errText = text.slice(errAt + tag.length + 5, end);
        return { code: Number(m[1]), stdout: out.replace(/\n\n$/, "\n").replace(/^\n$/, ""), stderr: errText.replace(/\n$/, "") };
      }
      if (!this.qemu) throw new Error(`QEMU exited while a command ran: ${command}`);
      if (this.shell !== shell) throw new Error(`the guest reset while a command ran: ${command}`);
      await sleep(50);
    }
    throw new Error(`timed out after ${options.timeoutMs ?? 60_000} ms: ${command}`);
  }

  /** Waits until QEMU is off by itself (guest reboot/poweroff, watchdog reset); returns how that boot ended. */
  async waitForOff(timeoutMs: number): Promise<BootRecord> {
    const record = this.current!;
    if (this.options.bios) {
      // a reset ends the boot while QEMU runs on (U-Boot boots again)
      for (const deadline = Date.now() + timeoutMs; record.end === "running"; await sleep(100)) {
        if (Date.now() > deadline) throw new Error(`boot ${record.n} (slot ${record.slot}) did not end within ${timeoutMs} ms\n${this.consoleLog().slice(-2000)}`);
      }
      return record;
    }
    if (this.qemu && !(await Promise.race([this.exited!.then(() => true), sleep(timeoutMs).then(() => false)]))) {
      throw new Error(`boot ${record.n} (slot ${record.slot}) did not end within ${timeoutMs} ms\n${this.consoleLog().slice(-2000)}`);
    }
    return record;
  }

  /** Orderly reboot: the guest resets (through U-Boot with bios; -no-reboot ends QEMU otherwise, the bootmeth runs again). */
  async reboot(wait: "multi-user" | "shell" = "multi-user"): Promise<void> {
    this.shell?.write("systemctl reboot\n");
    await this.waitForOff(120_000);
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

/** guestfwd relay: one process per guest connection, stdio <-> 127.0.0.1:<port>. */
const RELAY_SOURCE = `const s = require("net").connect(Number(process.argv[2]), "127.0.0.1");
process.stdin.pipe(s); s.pipe(process.stdout);
s.on("error", () => process.exit(1)); s.on("close", () => process.exit(0));
`;

const qemuVersions = new Map<string, string>();
function qemuVersion(binary: string): string {
  if (!qemuVersions.has(binary)) {
    let v = "unknown";
    try {
      v = execFileSync(binary, ["--version"], { encoding: "utf8" }).split("\n")[0] ?? "";
    } catch {
      /* not installed: the boot itself reports it */
    }
    qemuVersions.set(binary, v);
  }
  return qemuVersions.get(binary)!;
}
