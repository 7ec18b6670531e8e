import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { TargetBase, must, sleep, type ExecOptions, type ExecResult, type TargetDescription } from "../driver.js";
import { chooseSlot, SLOT_PARTITIONS, type UbootEnv } from "./bootmeth.js";

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
}

const MiB = 1024 * 1024;
const BOOT_PART_OFFSETS: Record<string, number> = { A: 16 * MiB, B: 1168 * MiB };

export class VmTarget extends TargetBase {
  readonly disk: string;
  private qemu: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private shell: Socket | undefined;
  private buffer = "";
  private boots = 0;
  private serial = "";
  readonly bootTimes: number[] = [];
  readonly bootedSlots: string[] = [];

  constructor(private readonly options: VmOptions) {
    super();
    this.disk = join(options.workDir, "disk.img");
  }

  describe(): TargetDescription {
    return {
      kind: "vm",
      arch: this.options.arch ?? "amd64",
      imageHash: this.options.imageHash,
      qemuVersion: qemuVersion(),
      accel: "tcg",
      boots: this.boots,
    };
  }

  /** Flashes the image onto a fresh, larger disk (sparse) and boots. */
  async start(): Promise<void> {
    mkdirSync(this.options.workDir, { recursive: true });
    copyFileSync(this.options.image, this.disk);
    truncateSync(this.disk, this.options.diskBytes ?? 4096 * MiB);
    writeFileSync(join(this.options.workDir, "fw_env.config"), `${this.disk} 0x${(this.options.envOffset ?? 0x100000).toString(16)} 0x${(this.options.envSize ?? 0x4000).toString(16)}\n`);
    await this.boot();
  }

  private fwEnvArgs(): string[] {
    return ["-c", join(this.options.workDir, "fw_env.config")];
  }

  async readEnv(): Promise<UbootEnv> {
    const out = await must(["fw_printenv", ...this.fwEnvArgs()]);
    return Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  }

  /** The bootmeth step: pick, decrement, save; undefined when no slot has tries left. */
  private async selectSlot(): Promise<string | undefined> {
    const env = await this.readEnv();
    const choice = chooseSlot(env);
    if (!choice) return undefined;
    await must(["fw_setenv", ...this.fwEnvArgs(), `BOOT_${choice.slot}_LEFT`, String(choice.leftAfter)]);
    return choice.slot;
  }

  private async boot(): Promise<void> {
    this.boots++;
    const slot = await this.selectSlot();
    if (!slot) throw new Error("bootmeth: no slot in BOOT_ORDER has attempts left (U-Boot would stop here)");
    this.bootedSlots.push(slot);
    const [bootPart, rootPart] = SLOT_PARTITIONS[slot]!;
    const dir = join(this.options.workDir, `boot-${this.boots}`);
    mkdirSync(dir, { recursive: true });
    for (const f of ["Image", "initrd"]) await must(["mcopy", "-o", "-i", `${this.disk}@@${BOOT_PART_OFFSETS[slot]}`, `::/${f}`, join(dir, f)]);
    const sock = join(this.options.workDir, "shell.sock");
    const serialLog = join(this.options.workDir, `serial-${this.boots}.log`);
    const append = `console=ttyS0 rauc.slot=${slot} atomicnix.lowerdev=/dev/vda${rootPart} atomicnix.twin.test-shell=1 panic=10`;
    void bootPart;
    const t0 = Date.now();
    const child = spawn("qemu-system-x86_64", [
      "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2", "-m", String(this.options.memoryMiB ?? 1024),
      "-nographic", "-nodefaults", "-no-reboot",
      "-serial", `file:${serialLog}`,
      "-kernel", join(dir, "Image"), "-initrd", join(dir, "initrd"), "-append", append,
      "-drive", `file=${this.disk},format=raw,if=virtio,cache=unsafe`,
      "-device", "virtio-serial", "-chardev", `socket,id=shell,path=${sock},server=on,wait=off`, "-device", "virtconsole,chardev=shell",
      "-device", "i6300esb", "-action", "watchdog=reset",
    ], { stdio: ["ignore", "pipe", "pipe"] });
    child.stderr!.on("data", (d: Buffer) => (this.serial += d.toString()));
    this.qemu = child;
    this.exited = new Promise((r) => child.on("exit", () => r()));
    this.serialPath = serialLog;
    await this.connectShell(sock, 180_000);
    // multi-user.target active = "reached multi-user" (a oneshot still running after it,
    // e.g. first-boot waiting for provisioning, keeps is-system-running at "starting").
    await this.waitUntil("systemctl is-active -q multi-user.target", "multi-user.target", 300_000);
    this.bootTimes.push(Date.now() - t0);
  }

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
      if (this.qemu?.exitCode !== null) throw new Error(`QEMU exited during boot\n${this.consoleLog().slice(-3000)}`);
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
      const r = await this.exec("true", { timeoutMs: 3000 }).catch(() => undefined);
      if (r?.code === 0) return;
    }
    throw new Error(`test shell on hvc0 did not answer\n${this.consoleLog().slice(-3000)}`);
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
      if (this.qemu?.exitCode !== null) throw new Error("QEMU exited while a command ran");
      await sleep(50);
    }
    throw new Error(`timed out after ${options.timeoutMs ?? 60_000} ms: ${command}`);
  }

  async reboot(): Promise<void> {
    // -no-reboot: the guest's reboot ends QEMU; the driver then runs the bootmeth again.
    this.shell?.write("systemctl reboot\n");
    await Promise.race([this.exited, sleep(120_000)]);
    this.shell?.destroy();
    this.shell = undefined;
    await this.boot();
  }

  async powerCut(): Promise<void> {
    this.qemu?.kill("SIGKILL");
    await this.exited;
    this.shell?.destroy();
    this.shell = undefined;
    await this.boot();
  }

  async stop(): Promise<void> {
    this.shell?.destroy();
    this.shell = undefined;
    if (this.qemu && this.qemu.exitCode === null) {
      this.qemu.kill("SIGKILL");
      await this.exited;
    }
    this.qemu = undefined;
  }
}

let cachedQemuVersion: string | undefined;
function qemuVersion(): string {
  if (cachedQemuVersion === undefined) {
    try {
      cachedQemuVersion = execFileSync("qemu-system-x86_64", ["--version"], { encoding: "utf8" }).split("\n")[0] ?? "";
    } catch {
      cachedQemuVersion = "unknown";
    }
  }
  return cachedQemuVersion;
}
