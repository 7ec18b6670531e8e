import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, readdirSync, readlinkSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { TargetBase, run, sleep, type ExecOptions, type ExecResult, type TargetDescription } from "../driver.js";
import { TwinNetwork, type Peer } from "./network.js";

/**
 * The `container` target: `systemd-nspawn -b` on the twin's root, read-only with a
 * volatile overlay (tmpfs upper, discarded at every stop, like the device's overlay
 * root), /data bound from a host directory that survives reboots, and the device
 * network namespace of TwinNetwork (eth0/eth1 with WAN and LAN peers).
 *
 * Workarounds measured on our hosts (shared/reference/twin-feasibility.md): PID 1 of
 * the host is not systemd, so `--register=no --keep-unit`; nspawn runs inside
 * `unshare -m` with a private tmpfs on /run/systemd/nspawn; commands enter the
 * container with `nsenter -t <container PID 1> -a` (no machined, so no
 * `systemd-run -M`).
 */
export interface ContainerOptions {
  root: string;
  /** host directory bound to /data (persistent across reboot()) */
  dataDir: string;
  /** where the console log goes */
  logDir: string;
  imageHash?: string;
  arch?: string;
  wanDhcp?: boolean;
  /** MACs of eth0 and eth1 */
  wanMac?: string;
  lanMac?: string;
  /** namespace name prefix; distinct per target when one process runs two twins */
  netPrefix?: string;
  /** extra nspawn arguments (e.g. --bind=/dev/loop-control) */
  extraArgs?: string[];
  /** arguments for the container's systemd (kernel command line style, e.g. systemd.mask=UNIT) */
  initArgs?: string[];
}

/** the cgroup2 mount of a hybrid host, then the legacy named systemd hierarchy */
const CGROUP_ROOTS = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"];
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export class ContainerTarget extends TargetBase {
  readonly net: TwinNetwork;
  private nspawn: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  private leader: number | undefined;
  private log: WriteStream | undefined;
  private boots = 0;
  /** ms from spawning nspawn until `systemctl is-system-running --wait` returned, per boot */
  readonly bootTimes: number[] = [];
  /** system state after each boot (running or degraded) */
  readonly bootStates: string[] = [];

  constructor(private readonly options: ContainerOptions) {
    super();
    this.net = new TwinNetwork({ prefix: options.netPrefix ?? `an${process.pid % 100000}`, wanDhcp: options.wanDhcp, wanMac: options.wanMac, lanMac: options.lanMac });
  }

  describe(): TargetDescription {
    return {
      kind: "container",
      arch: this.options.arch ?? "amd64",
      imageHash: this.options.imageHash,
      nspawnVersion: nspawnVersion(),
      root: this.options.root,
      boots: this.boots,
    };
  }

  async start(): Promise<void> {
    mkdirSync(this.options.dataDir, { recursive: true });
    mkdirSync(this.options.logDir, { recursive: true });
    if (!this.nspawn) await this.net.create();
    await this.boot();
  }

  private async boot(): Promise<void> {
    this.boots++;
    const nspawnArgs = [
      "systemd-nspawn", "--quiet", "-D", this.options.root,
      "--read-only", "--volatile=overlay", "--register=no", "--keep-unit",
      // nspawn grants CAP_NET_ADMIN only with its own --private-network; the namespace
      // here is private too (TwinNetwork), so the gateway may configure it.
      "--capability=CAP_NET_ADMIN",
      `--bind=${this.options.dataDir}:/data`, "--machine=gateway", "--console=pipe",
      // The overlay's lower layer where the device's initrd mounts it, read-only.
      `--bind-ro=${this.options.root}:/run/rootfs-base`,
      // No RAUC slots in a container (RAUC sees the host's command line): slot
      // confirmation would refuse and reboot the twin on every provisioned boot, so
      // os-verification is masked here; the vm target runs it.
      "--bind-ro=/dev/null:/etc/systemd/system/os-verification.service",
      ...(this.options.extraArgs ?? []), "-b", ...(this.options.initArgs ?? []),
    ];
    // nspawn starts inside the device namespace (nsenter, not --network-namespace-path:
    // with that option nspawn's /sys still shows the host's interfaces).
    const netns = this.net.nsPath(this.net.device);
    // nspawn --keep-unit roots the container's cgroups (its supervisor/payload split) at
    // its own cgroup, which is the same "/" for every process on our hosts (PID 1 is not
    // systemd): two twins at once would share /payload and each wait on the other's
    // processes when stopping. Each twin gets its own cgroup in every hierarchy nspawn uses.
    const ownCgroup = CGROUP_ROOTS.map((r) => `if [ -d ${r} ]; then mkdir -p ${r}/${this.cgroupName()} && echo $$ > ${r}/${this.cgroupName()}/cgroup.procs; fi`).join(" && ");
    const script = `${ownCgroup} && mount --make-rprivate / && mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn && exec nsenter --net=${netns} "$@"`;
    this.log = createWriteStream(join(this.options.logDir, `console-${this.boots}.log`));
    const t0 = Date.now();
    const child = spawn("unshare", ["-m", "sh", "-c", script, "sh", ...nspawnArgs], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    this.nspawn = child;
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    this.leader = await this.findLeader(child.pid!, 15_000);
    // PID 1's private socket appears a few ms after exec; then wait for startup to finish.
    await this.waitUntil("test -S /run/systemd/private", "systemd in the container", 15_000);
    // multi-user.target active = "reached multi-user"; a oneshot still running after it
    // (first-boot waiting for provisioning) keeps is-system-running at "starting".
    await this.waitUntil("systemctl is-active -q multi-user.target", "multi-user.target", 120_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${tail(this.consoleLog(), 40)}`);
    });
    this.bootTimes.push(Date.now() - t0);
    this.bootStates.push((await this.exec("systemctl is-system-running")).stdout.trim());
  }

  /** The container's PID 1 on the host: the `systemd` child of systemd-nspawn. */
  private async findLeader(unsharePid: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      // unshare execs sh, which execs nsenter, which execs nspawn: same PID. nspawn's child is the container's init.
      for (const pid of children(unsharePid)) {
        if (comm(pid) === "systemd") return pid;
        for (const grandchild of children(pid)) if (comm(grandchild) === "systemd") return grandchild;
      }
      if (this.nspawn?.exitCode !== null && this.nspawn?.exitCode !== undefined) break;
      await sleep(20);
    }
    throw new Error(`systemd-nspawn did not start the container's init\n${tail(this.consoleLog(), 40)}`);
  }

  consoleLog(): string {
    try {
      return readFileSync(join(this.options.logDir, `console-${this.boots}.log`), "utf8");
    } catch {
      return "";
    }
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (!this.leader) throw new Error("container is not running");
    return run(["nsenter", "-t", String(this.leader), "-a", "env", "-i", `PATH=${PATH}`, "HOME=/root", "LANG=C.UTF-8", "/bin/sh", "-c", command], {
      timeoutMs: options.timeoutMs ?? 60_000,
      input: options.input,
    });
  }

  /** The host's PID of a container process, for host tools that attach to it (strace). */
  hostPid(pid: number): number | undefined {
    if (!this.leader) throw new Error("container is not running");
    const ns = readlinkSync(`/proc/${this.leader}/ns/pid`);
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readlinkSync(`/proc/${entry}/ns/pid`) !== ns) continue;
        const ids = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"))?.[1]?.split(/\s+/).map(Number);
        if (ids?.at(-1) === pid) return Number(entry);
      } catch {
        /* exited meanwhile */
      }
    }
    return undefined;
  }

  /** Runs argv in a peer namespace: "wan" (upstream host) or "lan" (LAN client). */
  peer(peer: Peer, argv: string[], timeoutMs?: number): Promise<ExecResult> {
    return this.net.peer(peer, argv, timeoutMs);
  }

  /** Orderly reboot: `systemctl reboot` inside; nspawn exits and the twin boots again. */
  async reboot(): Promise<void> {
    await this.exec("systemctl reboot", { timeoutMs: 10_000 }).catch(() => undefined);
    await this.waitExit(60_000);
    await this.boot();
  }

  /** Power cut: SIGKILL to the container's PID 1 (taking its whole PID namespace) and nspawn. */
  async powerCut(): Promise<void> {
    this.killAll();
    await this.waitExit(10_000);
    await this.boot();
  }

  async stop(): Promise<void> {
    try {
      if (this.nspawn && this.nspawn.exitCode === null) {
        // SIGTERM makes nspawn ask the container's systemd to power off.
        this.nspawn.kill("SIGTERM");
        if (!(await this.waitExit(20_000, false))) {
          this.killAll();
          await this.waitExit(10_000, false);
        }
      }
    } finally {
      // namespaces and the WAN DHCP server go away even when the shutdown misbehaved
      this.nspawn = undefined;
      this.leader = undefined;
      this.log?.end();
      await this.net.destroy();
      for (const r of CGROUP_ROOTS) await run(["find", `${r}/${this.cgroupName()}`, "-depth", "-type", "d", "-delete"]);
    }
  }

  private cgroupName(): string {
    return `atomicnix-twin/${this.net.device}`;
  }

  private killAll(): void {
    for (const pid of [this.leader, this.nspawn?.pid]) {
      if (!pid) continue;
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }

  private async waitExit(timeoutMs: number, mustExit = true): Promise<boolean> {
    const done = await Promise.race([this.exited!.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!done && mustExit) throw new Error(`systemd-nspawn did not exit within ${timeoutMs} ms`);
    if (done) this.leader = undefined;
    return done;
  }
}

function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    /* process gone */
  }
  return out;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

let cachedNspawnVersion: string | undefined;
function nspawnVersion(): string {
  if (cachedNspawnVersion === undefined) {
    try {
      // read once per process, for the run metadata
      cachedNspawnVersion = execFileSync("systemd-nspawn", ["--version"], { encoding: "utf8" }).split("\n")[0] ?? "";
    } catch {
      cachedNspawnVersion = "unknown";
    }
  }
  return cachedNspawnVersion;
}

function tail(text: string, lines: number): string {
  return text.split("\n").slice(-lines).join("\n");
}
