import { constants, createWriteStream, mkdtempSync, openSync, rmSync, type WriteStream } from "node:fs";
import { ReadStream as TtyReadStream } from "node:tty";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TargetBase, run, shellQuote, sleep, type ExecOptions, type ExecResult, type TargetDescription } from "../driver.js";

/**
 * The `ssh` target: any reachable device (a flashed Rock64, a Nix-built VM, the QEMU
 * twin through a port forward), driven with the real OpenSSH client and key auth,
 * like labgrid's SSHDriver plus ExternalPowerDriver and a serial console log.
 *
 * Privilege: the product has no sudo (auth.no-sudo), refuses root over SSH
 * (`PermitRootLogin no`) and keeps admin's password locked, so `run0` cannot ask for
 * one either. On a real device `exec` therefore runs as the login user, not as root,
 * unless the user is root or `rootPrefix` names a command that escalates without a
 * prompt (e.g. `run0 --no-ask-password` where a polkit rule allows it, or `sudo -n`
 * on a development board). `privileged` says which case holds; tests whose steps need
 * root call `requireRoot` and are skipped with that reason when it is false.
 */
export interface SshOptions {
  host: string;
  port?: number;
  user?: string;
  /** private key file; the only identity offered */
  key?: string;
  /** host command run as `sh -c '<powerCmd> "$1"' sh off|on|cycle` (labgrid's external power driver) */
  powerCmd?: string;
  /** serial console recorded to `consoleLogPath` while the target runs */
  console?: { device: string; baud: number };
  /** prefix that runs a command as root without a prompt, e.g. "run0 --no-ask-password" */
  rootPrefix?: string;
  /** how long start() waits for SSH to answer (default 60 s) */
  connectWaitMs?: number;
  /** how long reboot()/powerCut() wait for the device to come back (default 10 min) */
  bootWaitMs?: number;
  /** off time of a power cut (default 3 s, so a board's rails drain) */
  powerOffMs?: number;
}

/** Facts read from the device at start and after each boot (describe() is synchronous). */
interface Facts {
  arch: string;
  uid: number;
  bootId: string;
  version: string | null;
  bootedSlot: string | null;
  slotDigest: string | null;
}

/** ssh exits 255 when the connection itself failed, not the remote command. */
const SSH_CONNECTION_FAILED = 255;

export class SshTarget extends TargetBase {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  private workDir: string | undefined;
  private facts: Facts | undefined;
  private consoleIn: TtyReadStream | undefined;
  private consoleOut: WriteStream | undefined;
  /** how the last reboot() happened: "systemctl" (orderly) or "power-cycle" */
  lastRebootMethod: "systemctl" | "power-cycle" | undefined;
  boots = 1;

  constructor(private readonly options: SshOptions) {
    super();
    this.host = options.host;
    this.port = options.port ?? 22;
    this.user = options.user ?? "admin";
  }

  /** True when exec runs as root on the device (root login or a rootPrefix that worked). */
  get privileged(): boolean {
    return this.facts?.uid === 0;
  }

  /** where the serial console is recorded, once recording started */
  consoleLogPath: string | undefined;

  get bootId(): string | undefined {
    return this.facts?.bootId;
  }

  private dir(): string {
    this.workDir ??= mkdtempSync(join(tmpdir(), "atomicnix-ssh-"));
    return this.workDir;
  }

  sshArgs(): string[] {
    return [
      "-F", "/dev/null",
      "-p", String(this.port),
      ...(this.options.key ? ["-i", this.options.key] : []),
      "-o", "BatchMode=yes",
      "-o", "IdentitiesOnly=yes",
      "-o", "PreferredAuthentications=publickey",
      // A per-run known_hosts: the first connection pins the key, a changed key later
      // in the run (another device answering) fails instead of being trusted.
      "-o", "StrictHostKeyChecking=accept-new",
      "-o", `UserKnownHostsFile=${join(this.dir(), "known_hosts")}`,
      "-o", "ConnectTimeout=10",
      "-o", "ServerAliveInterval=5",
      "-o", "ServerAliveCountMax=3",
      "-o", "LogLevel=ERROR",
      `${this.user}@${this.host}`,
    ];
  }

  async start(): Promise<void> {
    this.dir();
    if (this.options.console) await this.recordConsole(this.options.console);
    await this.waitUntilReachable(this.options.connectWaitMs ?? 60_000);
    this.facts = await this.readFacts();
  }

  /** Starts recording the serial console (start() does this when `console` is set). */
  async recordConsole(c: { device: string; baud: number }): Promise<void> {
    const r = await run(["stty", "-F", c.device, String(c.baud), "raw", "-echo"]);
    if (r.code !== 0) throw new Error(`console ${c.device}: stty failed: ${r.stderr.trim()}`);
    this.consoleLogPath = join(this.dir(), "console.log");
    this.consoleOut = createWriteStream(this.consoleLogPath, { flags: "a" });
    // A tty stream is polled by the event loop: a quiet line does not park a blocking
    // read in the thread pool (fs streams do), so stop() closes it at once.
    this.consoleIn = new TtyReadStream(openSync(c.device, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK));
    this.consoleIn.on("error", (e) => this.consoleOut?.write(`\n[atomicnix: console read error: ${e.message}]\n`));
    this.consoleIn.pipe(this.consoleOut);
  }

  async stop(): Promise<void> {
    this.consoleIn?.unpipe();
    this.consoleIn?.destroy();
    this.consoleIn = undefined;
    if (this.consoleOut) await new Promise<void>((r) => this.consoleOut!.end(() => r()));
    this.consoleOut = undefined;
  }

  /** Removes the per-run known_hosts and console log; stop() keeps them for the caller. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.workDir) rmSync(this.workDir, { recursive: true, force: true });
    this.workDir = undefined;
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const wrapped = `sh -c ${shellQuote(command)}`;
    const remote = this.options.rootPrefix && this.user !== "root" ? `${this.options.rootPrefix} ${wrapped}` : wrapped;
    return this.ssh(remote, options);
  }

  private ssh(remote: string, options: ExecOptions = {}): Promise<ExecResult> {
    return run(["ssh", ...this.sshArgs(), remote], { timeoutMs: options.timeoutMs ?? 60_000, input: options.input });
  }

  /** Waits for a login (without rootPrefix, so a refused escalation is reported as such). */
  private async waitUntilReachable(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: ExecResult | undefined;
    while (Date.now() < deadline) {
      last = await this.ssh("true", { timeoutMs: 30_000 }).catch((e: Error) => ({ code: SSH_CONNECTION_FAILED, stdout: "", stderr: e.message }));
      if (last.code === 0) break;
      await sleep(1000);
    }
    if (last?.code !== 0) {
      throw new Error(`no SSH login as ${this.user}@${this.host}:${this.port} within ${timeoutMs} ms: ${last?.stderr.trim() ?? ""}\n(key ${this.options.key ?? "none"}; is the device up and the key in /data/config/ssh-authorized-keys/${this.user}?)`);
    }
    if (this.options.rootPrefix) {
      const r = await this.exec("id -u");
      if (r.code !== 0 || r.stdout.trim() !== "0") throw new Error(`rootPrefix "${this.options.rootPrefix}" does not give root without a prompt (exit ${r.code}: ${(r.stderr || r.stdout).trim()})`);
    }
  }

  private async readFacts(): Promise<Facts> {
    // One round trip; rauc status may be refused to a non-root user (D-Bus policy), the
    // command line then names the booted slot.
    const out = await this.succeed(
      'uname -m; id -u; cat /proc/sys/kernel/random/boot_id; cat /etc/atomicnix/version 2>/dev/null || echo; ' +
        'sed -n "s/.*rauc\\.slot=\\([^ ]*\\).*/\\1/p" /proc/cmdline; echo; rauc status --detailed --output-format=json 2>/dev/null || true',
    );
    const [arch = "", uid = "", bootId = "", version = "", cmdlineSlot = "", , ...rest] = out.split("\n");
    let bootedSlot: string | null = cmdlineSlot.trim() || null;
    let slotDigest: string | null = null;
    try {
      const status = JSON.parse(rest.join("\n")) as { booted?: string; slots?: Record<string, { bootname?: string | null; parent?: string | null; slot_status?: { checksum?: { sha256?: string } } }>[] };
      if (status.booted) bootedSlot = status.booted;
      const slots = Object.assign({}, ...(status.slots ?? [])) as Record<string, { bootname?: string | null; parent?: string | null; slot_status?: { checksum?: { sha256?: string } } }>;
      const boot = Object.entries(slots).find(([, s]) => s.bootname === bootedSlot)?.[0];
      const rootfs = Object.values(slots).find((s) => s.parent === boot);
      slotDigest = rootfs?.slot_status?.checksum?.sha256 ?? null;
    } catch {
      // no JSON: rauc refused or absent
    }
    return { arch: arch.trim(), uid: Number(uid.trim()), bootId: bootId.trim(), version: version.trim() || null, bootedSlot, slotDigest };
  }

  describe(): TargetDescription {
    const f = this.facts;
    // The digest RAUC recorded when it installed the booted rootfs; a factory-flashed
    // slot has none, so its identity is the version file plus the booted slot.
    const imageHash = f?.slotDigest ? `sha256:${f.slotDigest}` : f ? `rootfs:${f.version ?? "unknown"}@${f.bootedSlot ?? "unknown"}` : undefined;
    return {
      kind: "ssh",
      arch: f?.arch ?? "unknown",
      imageHash,
      host: this.host,
      port: this.port,
      user: this.user,
      privileged: this.privileged,
      version: f?.version ?? null,
      bootedSlot: f?.bootedSlot ?? null,
      power: Boolean(this.options.powerCmd),
      ...(this.options.console ? { console: `${this.options.console.device}@${this.options.console.baud}` } : {}),
    };
  }

  /** Runs the power hook with `off`, `on` or `cycle`. */
  async power(action: "off" | "on" | "cycle"): Promise<void> {
    if (!this.options.powerCmd) throw new Error(`power ${action}: no power command configured (--power-cmd / ATOMICNIX_POWER_CMD)`);
    const r = await run(["sh", "-c", `${this.options.powerCmd} "$1"`, "sh", action], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`power command "${this.options.powerCmd} ${action}" failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  }

  /**
   * Orderly reboot with `systemctl reboot`. When the device refuses it to this user (no
   * root, no polkit grant), a power cycle through the power hook stands in and
   * `lastRebootMethod` says so: that is not an orderly shutdown.
   */
  async reboot(): Promise<void> {
    const before = this.facts?.bootId ?? (await this.succeed("cat /proc/sys/kernel/random/boot_id")).trim();
    const r = await this.exec("systemctl reboot", { timeoutMs: 30_000 }).catch((e: Error) => ({ code: SSH_CONNECTION_FAILED, stdout: "", stderr: e.message }));
    if (r.code === 0 || r.code === SSH_CONNECTION_FAILED) {
      this.lastRebootMethod = "systemctl";
    } else if (this.options.powerCmd) {
      this.lastRebootMethod = "power-cycle";
      await this.power("cycle");
    } else {
      throw new Error(`reboot: \`systemctl reboot\` was refused to ${this.user} (exit ${r.code}: ${r.stderr.trim()}); configure a power command or a rootPrefix that escalates`);
    }
    await this.waitForNewBoot(before);
  }

  /** Power off without warning, then on; needs the power hook. */
  async powerCut(): Promise<void> {
    if (!this.options.powerCmd) throw new Error("powerCut: the ssh target needs a power command (--power-cmd / ATOMICNIX_POWER_CMD) to cut power");
    const before = this.facts?.bootId ?? (await this.succeed("cat /proc/sys/kernel/random/boot_id")).trim();
    await this.power("off");
    await sleep(this.options.powerOffMs ?? 3000);
    await this.power("on");
    await this.waitForNewBoot(before);
  }

  /** Waits until SSH answers with another boot_id than `before` (so it went away and came back). */
  private async waitForNewBoot(before: string): Promise<void> {
    await this.waitUntil(
      `[ "$(cat /proc/sys/kernel/random/boot_id)" != ${shellQuote(before)} ]`,
      `${this.host}:${this.port} to come back with a new boot_id`,
      this.options.bootWaitMs ?? 600_000,
    );
    this.boots++;
    this.facts = await this.readFacts();
  }
}

/** Why a test whose steps need root cannot run on `target`, or undefined when it can. */
export function rootRequirement(target: TargetBase): string | undefined {
  if (!(target instanceof SshTarget) || target.privileged) return undefined;
  return `needs root on the device; the ssh target runs as ${target.user} (no sudo, PermitRootLogin no; a rootPrefix that escalates without a prompt lifts this)`;
}
