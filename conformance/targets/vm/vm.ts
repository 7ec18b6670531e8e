import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, createReadStream, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { TargetBase, must, sleep, type ExecOptions, type ExecResult, type TargetDescription } from "../driver.js";
import { chooseSlot, SLOT_PARTITIONS, type UbootEnv } from "./bootmeth.js";
import { qemuMachine } from "./machine.js";
import { QmpClient, type QmpEvent } from "./qmp.js";

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
  /** BOOT_<slot>_LEFT before the bootmeth decremented it */
  leftBefore: number;
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

  /** Flashes the image onto a fresh, larger disk (sparse), adds bootFiles to boot-a, and boots (`wait` as in powerOn). */
  async start(wait: "multi-user" | "shell" = "multi-user"): Promise<void> {
    mkdirSync(this.options.workDir, { recursive: true });
    copyFileSync(this.options.image, this.disk);
    truncateSync(this.disk, this.options.diskBytes ?? 4096 * MiB);
    writeFileSync(join(this.options.workDir, "fw_env.config"), `${this.disk} 0x${(this.options.envOffset ?? 0x100000).toString(16)} 0x${(this.options.envSize ?? 0x4000).toString(16)}\n`);
    for (const [name, content] of Object.entries(this.options.bootFiles ?? {})) {
      const file = join(this.options.workDir, `bootfile-${name.replace(/\W/g, "_")}`);
      writeFileSync(file, content);
      await must(["mcopy", "-o", "-i", `${this.disk}@@${BOOT_PART_OFFSETS.A}`, file, `::/${name}`]);
    }
    await this.powerOn(wait);
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
    const child = spawn(machine.binary, [
      ...machine.args, "-smp", "2", "-m", String(this.options.memoryMiB ?? 1024),
      "-nographic", "-nodefaults", "-no-reboot",
      "-serial", `file:${this.serialPath}`,
      "-qmp", `unix:${qmpSock},server=on,wait=off`,
      "-kernel", join(dir, "Image"), "-initrd", join(dir, "initrd"), "-append", append,
      "-drive", `file=${this.disk},format=raw,if=virtio,cache=unsafe`,
      "-device", "virtio-serial", "-chardev", `socket,id=shell,path=${sock},server=on,wait=off`, "-device", "virtconsole,chardev=shell",
      "-device", "i6300esb", "-action", "watchdog=reset",
      ...this.networkArgs(),
      ...(this.options.share ? ["-virtfs", `local,path=${this.options.share},mount_tag=host,security_model=none,readonly=on`] : []),
    ], { stdio: ["ignore", "pipe", "pipe"] });
    child.stderr!.on("data", (d: Buffer) => (this.qemuStderr += d.toString()));
    this.qemu = child;
    this.exited = new Promise((r) => child.on("exit", () => r()));
    void this.exited.then(() => this.onExit(record));
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
    this.options.log?.(`boot ${record.n}: ended (${record.end})`);
    this.qmp?.close();
    this.qmp = undefined;
    this.shell?.destroy();
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

  private qemuStderr = "";
  private serialPath = "";
  consoleLog(): string {
    try {
      return readFileSync(this.serialPath, "utf8");
    } catch {
      return "";
    }
  }

  private async connectShell(path: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.buffer = "";
    while (Date.now() < deadline) {
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
      await sleep(50);
    }
    throw new Error(`timed out after ${options.timeoutMs ?? 60_000} ms: ${command}`);
  }

  /** Waits until QEMU is off by itself (guest reboot/poweroff, watchdog reset); returns how that boot ended. */
  async waitForOff(timeoutMs: number): Promise<BootRecord> {
    const record = this.current!;
    if (this.qemu && !(await Promise.race([this.exited!.then(() => true), sleep(timeoutMs).then(() => false)]))) {
      throw new Error(`boot ${record.n} (slot ${record.slot}) did not end within ${timeoutMs} ms\n${this.consoleLog().slice(-2000)}`);
    }
    return record;
  }

  /** Orderly reboot: the guest's reboot ends QEMU (-no-reboot); the bootmeth runs again. */
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
