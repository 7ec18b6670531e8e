// A gateway lab of real network namespaces joined by veth pairs:
//
//   wan host  eth0 192.0.2.10/24 ── eth0 192.0.2.50/24   gateway   eth1 (lan-apply) ── eth0 (DHCP)  lan client
//                                   tun0 10.8.0.1/24 ── eth0 10.8.0.2/24  vpn peer
//
// The gateway namespace loads the real baseline ruleset and sysctl file from
// device/etc and runs the real dnsmasq and chronyd on the base configs from device/etc
// plus the files lan-apply wrote. Paths under /run and /var/lib in those configs are
// moved under a private root in a temp dir, the way an image root would hold them;
// nothing else in them changes. Traffic stays inside these namespaces.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { applyLan, type LanApplyResult } from "../../../device/network/lan-apply.js";
import type { LanSettings } from "../../../device/network/lan-settings.js";
import type { NftCommand } from "../../../device/network/nft.js";

export const REPO = resolve(import.meta.dirname, "../../..");
export const ETC = join(REPO, "device/etc");
export const BASELINE_NFT = join(ETC, "nftables/atomicnix.nft");
export const SYSCTL_FILE = join(ETC, "sysctl.d/60-atomicnix-no-forwarding.conf");
const PROBE = join(import.meta.dirname, "probe.mjs");

export const GW_WAN_IP = "192.0.2.50";
export const WAN_HOST_IP = "192.0.2.10";
export const TUN_GW_IP = "10.8.0.1";
export const ETH1_MAC = "52:54:00:12:34:56";

/** The settings of the device-level scenarios (lan.dhcp-server.lease, lan.local-dns.names, ...). */
export const SITE_SETTINGS: LanSettings = {
  gateway_cidr: "10.50.0.1/24",
  gateway_ip: "10.50.0.1",
  subnet_cidr: "10.50.0.0/24",
  netmask: "255.255.255.0",
  dhcp_start: "10.50.0.100",
  dhcp_end: "10.50.0.110",
  domain: "site.example",
  hostname_pattern: "atomicnix-{mac}",
  gateway_aliases: ["atomicnix", "gw"],
};

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: readonly string[], opts: { input?: string; allowFail?: boolean; timeoutMs?: number } = {}): Run {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { input: opts.input, encoding: "utf8", timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 });
  const out = { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? (r.error ? String(r.error) : "") };
  if (out.status !== 0 && !opts.allowFail) throw new Error(`${cmd.join(" ")} exited ${out.status}: ${out.stderr.trim() || out.stdout.trim()}`);
  return out;
}

/** Async run, so concurrent probes and daemons keep going while a command waits. */
export function runAsync(cmd: readonly string[], opts: { timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ status: code ?? -1, stdout, stderr });
    });
  });
}

/** Why namespaces cannot be used here, or null when they can. */
export function namespaceRefusal(): string | null {
  const name = `anx-probe-${process.pid}`;
  const r = run(["ip", "netns", "add", name], { allowFail: true });
  if (r.status !== 0) return `the kernel refuses network namespaces here (ip netns add: ${r.stderr.trim()})`;
  const v = run(["ip", "-n", name, "link", "add", "va", "type", "veth", "peer", "name", "vb"], { allowFail: true });
  const n = run(["ip", "netns", "exec", name, "nft", "list", "ruleset"], { allowFail: true });
  run(["ip", "netns", "del", name], { allowFail: true });
  if (v.status !== 0) return `the kernel refuses veth pairs in a namespace (${v.stderr.trim()})`;
  if (n.status !== 0) return `nftables is not usable in a namespace (${n.stderr.trim()})`;
  return null;
}

export interface Daemon {
  proc: ChildProcess;
  log: string[];
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
}

function daemon(cmd: string[]): Daemon {
  const proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  const log: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  const onData = (d: Buffer) => {
    for (const line of d.toString().split("\n")) {
      if (!line) continue;
      log.push(line);
      for (const w of [...waiters]) if (w.re.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
    }
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  return {
    proc,
    log,
    waitFor(re, timeoutMs = 10_000) {
      const hit = log.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`${cmd.join(" ")}: no line matching ${re} within ${timeoutMs} ms; log:\n${log.join("\n")}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => { clearTimeout(timer); res(l); } });
        proc.on("exit", (code) => rej(new Error(`${cmd.join(" ")} exited ${code} before ${re}; log:\n${log.join("\n")}`)));
      });
    },
  };
}

export interface DhcpLease {
  [key: string]: string;
}

export class Lab {
  readonly ns: { wan: string; gw: string; lan: string; vpn: string };
  readonly dir: string;
  /** where the gateway's /run and /var/lib live for this lab */
  readonly root: string;
  readonly nft: NftCommand;
  readonly settingsFile: string;
  /** chronyd's command socket (for chronyc -h) */
  readonly chronySocket: string;
  private daemons = new Map<string, Daemon>();
  private extra: ChildProcess[] = [];

  constructor(tag: string) {
    const id = `${tag}-${process.pid}`;
    this.ns = { wan: `anx-${id}-wan`, gw: `anx-${id}-gw`, lan: `anx-${id}-lan`, vpn: `anx-${id}-vpn` };
    this.dir = mkdtempSync(join(tmpdir(), `atomicnix-net-${tag}-`));
    chmodSync(this.dir, 0o755);
    this.root = join(this.dir, "root");
    this.settingsFile = join(this.dir, "lan-settings.json");
    this.nft = ["ip", "netns", "exec", this.ns.gw, "nft"];
    this.chronySocket = join(this.dir, "chrony-run", "chronyd.sock");
  }

  exec(ns: string, cmd: readonly string[], opts: { input?: string; allowFail?: boolean; timeoutMs?: number } = {}): Run {
    return run(["ip", "netns", "exec", ns, ...cmd], opts);
  }

  execAsync(ns: string, cmd: readonly string[], opts: { timeoutMs?: number } = {}): Promise<Run> {
    return runAsync(["ip", "netns", "exec", ns, ...cmd], opts);
  }

  /** Namespaces, veth pairs, addresses, the sysctl file and the baseline ruleset. */
  build(): void {
    const { wan, gw, lan, vpn } = this.ns;
    for (const n of [wan, gw, lan, vpn]) {
      run(["ip", "netns", "add", n]);
      run(["ip", "-n", n, "link", "set", "lo", "up"]);
    }
    run(["ip", "-n", gw, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", wan]);
    run(["ip", "-n", gw, "link", "add", "eth1", "address", ETH1_MAC, "type", "veth", "peer", "name", "eth0", "netns", lan]);
    // The recovery tunnel's interface name is all the firewall looks at.
    run(["ip", "-n", gw, "link", "add", "tun0", "type", "veth", "peer", "name", "eth0", "netns", vpn]);
    for (const [n, dev] of [[gw, "eth0"], [gw, "eth1"], [gw, "tun0"], [wan, "eth0"], [lan, "eth0"], [vpn, "eth0"]] as const) run(["ip", "-n", n, "link", "set", dev, "up"]);
    run(["ip", "-n", gw, "addr", "add", `${GW_WAN_IP}/24`, "dev", "eth0"]);
    run(["ip", "-n", wan, "addr", "add", `${WAN_HOST_IP}/24`, "dev", "eth0"]);
    run(["ip", "-n", gw, "addr", "add", `${TUN_GW_IP}/24`, "dev", "tun0"]);
    run(["ip", "-n", vpn, "addr", "add", "10.8.0.2/24", "dev", "eth0"]);
    // The WAN host would route LAN traffic back: only the gateway can stop a forward.
    run(["ip", "-n", wan, "route", "add", "10.0.0.0/8", "via", GW_WAN_IP]);
    this.exec(gw, ["sysctl", "-q", "-p", SYSCTL_FILE]);
    this.loadBaseline();
  }

  loadBaseline(): void {
    this.exec(this.ns.gw, ["nft", "-f", BASELINE_NFT]);
  }

  /** Writes lan-settings.json (or removes it for null), runs lan-apply and gives eth1 the drop-in's address as networkd would. */
  applyLan(settings: LanSettings | string | null): LanApplyResult {
    if (settings === null) rmSync(this.settingsFile, { force: true });
    else writeFileSync(this.settingsFile, typeof settings === "string" ? settings : JSON.stringify(settings, null, 2));
    const result = applyLan({ settingsFile: this.settingsFile, root: this.root, eth1Mac: ETH1_MAC });
    const dropIn = result.files.find((f) => f.role === "networkd")!.file;
    const address = /^Address=(\S+)$/m.exec(readFileSync(dropIn, "utf8"))![1]!;
    run(["ip", "-n", this.ns.gw, "addr", "flush", "dev", "eth1"]);
    run(["ip", "-n", this.ns.gw, "addr", "add", address, "dev", "eth1"]);
    return result;
  }

  /** A base config from device/etc with its /run and /var/lib paths moved under the lab root. */
  rooted(relPath: string): string {
    const text = readFileSync(join(ETC, relPath), "utf8").replace(/(^|[\s=])\/(run|var\/lib)\//gm, `$1${this.root}/$2/`);
    const file = join(this.dir, relPath.replace(/\//g, "_"));
    writeFileSync(file, text);
    return file;
  }

  async startDnsmasq(): Promise<Daemon> {
    this.stop("dnsmasq");
    mkdirSync(join(this.root, "run/dnsmasq.d"), { recursive: true });
    const conf = this.rooted("dnsmasq/atomicnix.conf");
    const d = daemon(["ip", "netns", "exec", this.ns.gw, "dnsmasq", "--keep-in-foreground", `--conf-file=${conf}`, `--pid-file=${join(this.dir, "dnsmasq.pid")}`, `--dhcp-leasefile=${join(this.dir, "dnsmasq.leases")}`, "--user=root", "--group=root", "--log-facility=-", "--log-queries", "--log-dhcp"]);
    this.daemons.set("dnsmasq", d);
    await d.waitFor(/DHCP, IP range/);
    return d;
  }

  async startChronyd(): Promise<Daemon> {
    this.stop("chronyd");
    mkdirSync(join(this.root, "var/lib/chrony"), { recursive: true });
    mkdirSync(join(this.root, "run/chrony.d"), { recursive: true });
    const sockDir = join(this.dir, "chrony-run");
    mkdirSync(sockDir, { recursive: true, mode: 0o700 });
    const base = this.rooted("chrony/atomicnix.conf");
    // Test-only directives: private pid file and command socket, no command port.
    const conf = join(this.dir, "chrony.conf");
    writeFileSync(conf, `pidfile ${join(sockDir, "chronyd.pid")}\nbindcmdaddress ${this.chronySocket}\ncmdport 0\ninclude ${base}\n`);
    // -x: never touch the host's clock (the clock is not namespaced).
    const d = daemon(["ip", "netns", "exec", this.ns.gw, "chronyd", "-d", "-x", "-u", "root", "-f", conf]);
    this.daemons.set("chronyd", d);
    await d.waitFor(/chronyd version .* starting/);
    return d;
  }

  stop(name: string): void {
    const d = this.daemons.get(name);
    if (d && d.proc.exitCode === null) d.proc.kill("SIGTERM");
    this.daemons.delete(name);
  }

  daemonLog(name: string): string[] {
    return this.daemons.get(name)?.log ?? [];
  }

  /** A real DHCP exchange by ISC dhclient in `ns`; returns the script's variables of the BOUND event. */
  async dhcp(ns = this.ns.lan, opts: { timeoutSec?: number; configure?: boolean } = {}): Promise<DhcpLease | null> {
    const tag = `${ns}-${Date.now()}`;
    const envFile = join(this.dir, `dhcp-${tag}.env`);
    const script = join(this.dir, `dhclient-script-${tag}`);
    writeFileSync(
      script,
      [
        "#!/bin/sh",
        'case "$reason" in BOUND|RENEW|REBIND|REBOOT)',
        `  env | grep -E '^(reason|interface|new_)' | sort > '${envFile}'`,
        ...(opts.configure === false
          ? []
          : ['  ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"', '  ip route replace default via "$new_routers" dev "$interface"']),
        ";;",
        "esac",
        "exit 0",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    const conf = join(this.dir, `dhclient-${tag}.conf`);
    writeFileSync(conf, `timeout ${opts.timeoutSec ?? 20};\nretry 1;\nrequest subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, ntp-servers;\n`);
    const pid = join(this.dir, `dhclient-${tag}.pid`);
    const r = await this.execAsync(ns, ["dhclient", "-1", "-v", "-sf", script, "-cf", conf, "-lf", join(this.dir, `dhclient-${tag}.leases`), "-pf", pid, "eth0"], { timeoutMs: ((opts.timeoutSec ?? 20) + 10) * 1000 });
    if (existsSync(pid)) {
      const p = Number(readFileSync(pid, "utf8").trim());
      if (p > 0) try { process.kill(p, "SIGTERM"); } catch { /* already gone */ }
    }
    if (!existsSync(envFile)) {
      if (r.status === 0) throw new Error(`dhclient exited 0 without a BOUND event: ${r.stderr}`);
      return null;
    }
    const lease: DhcpLease = { dhclientLog: r.stderr };
    for (const line of readFileSync(envFile, "utf8").split("\n")) {
      const i = line.indexOf("=");
      if (i > 0) lease[line.slice(0, i)] = line.slice(i + 1);
    }
    return lease;
  }

  probe<T = any>(ns: string, args: string[], timeoutMs = 20_000): Promise<T> {
    return this.execAsync(ns, [process.execPath, PROBE, ...args], { timeoutMs }).then((r) => {
      if (r.status !== 0) throw new Error(`probe ${args.join(" ")} in ${ns} exited ${r.status}: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as T;
    });
  }

  /** Test listeners (`tcp:443`, `udp:1194`) in `ns`; received datagrams show up in `received`. */
  async listen(ns: string, specs: string[]): Promise<{ received: () => Array<{ udp: number; from: string; text: string }>; stop: () => void }> {
    const d = daemon(["ip", "netns", "exec", ns, process.execPath, PROBE, "listen", ...specs]);
    this.extra.push(d.proc);
    await d.waitFor(/"listening"/);
    return {
      received: () => d.log.filter((l) => l.startsWith('{"udp"')).map((l) => JSON.parse(l)),
      stop: () => d.proc.kill("SIGTERM"),
    };
  }

  /** Every rule of the ruleset without handles or counters, for identity checks. */
  ruleset(): string {
    return this.exec(this.ns.gw, ["nft", "-s", "list", "ruleset"]).stdout;
  }

  destroy(): void {
    for (const name of [...this.daemons.keys()]) this.stop(name);
    for (const p of this.extra) if (p.exitCode === null) p.kill("SIGKILL");
    // dhclient may have left itself running in the client namespace
    for (const n of Object.values(this.ns)) {
      const pids = run(["ip", "netns", "pids", n], { allowFail: true }).stdout.split(/\s+/).filter(Boolean);
      for (const p of pids) try { process.kill(Number(p), "SIGKILL"); } catch { /* gone */ }
      run(["ip", "netns", "del", n], { allowFail: true });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
