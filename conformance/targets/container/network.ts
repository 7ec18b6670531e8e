import { must, run } from "../driver.js";

/**
 * The container twin's network: the device namespace holds eth0 (WAN) and eth1 (LAN)
 * exactly as the gateway names them, each a veth to a peer namespace: `wan` (the
 * upstream network, optionally with a DHCP server, like the ISP router) and `lan`
 * (an isolated LAN client). Peers are entered with `nsenter --net=/run/netns/NAME`
 * (`ip netns exec` breaks systemd-nspawn's cgroup detection). Traffic never leaves
 * these namespaces.
 */
export interface TwinNetworkOptions {
  /** unique prefix for namespace names (e.g. "an1234") */
  prefix: string;
  /** run a dnsmasq DHCP server on the WAN peer, so eth0 gets an address */
  wanDhcp?: boolean;
  /** MAC of eth0: the device identity (lan.device-identity) */
  wanMac?: string;
  /** MAC of eth1 (the kernel's random one by default) */
  lanMac?: string;
}

export const WAN_PEER_ADDRESS = "192.168.77.1";
const WAN_PREFIX = 24;
const WAN_DHCP_RANGE = ["192.168.77.100", "192.168.77.150"] as const;
const DEFAULT_WAN_MAC = "52:54:00:a7:00:01";

export type Peer = "wan" | "lan" | "tun";

export class TwinNetwork {
  readonly device: string;
  readonly wan: string;
  readonly lan: string;
  readonly tun: string;
  private dhcpPid: number | undefined;

  constructor(private readonly options: TwinNetworkOptions) {
    this.device = `${options.prefix}-dev`;
    this.wan = `${options.prefix}-wan`;
    this.lan = `${options.prefix}-lan`;
    this.tun = `${options.prefix}-tun`;
  }

  nsPath(name: string): string {
    return `/run/netns/${name}`;
  }

  async create(): Promise<void> {
    await this.destroy();
    for (const ns of [this.device, this.wan, this.lan]) {
      await must(["ip", "netns", "add", ns]);
      await must(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
    // veth ends get unique temporary names in the host namespace, then their real names inside.
    const p = this.options.prefix;
    await this.veth(`${p}a`, this.device, "eth0", `${p}b`, this.wan, "wan0", this.options.wanMac ?? DEFAULT_WAN_MAC);
    await this.veth(`${p}c`, this.device, "eth1", `${p}d`, this.lan, "lan0", this.options.lanMac);
    await must(["ip", "-n", this.wan, "addr", "add", `${WAN_PEER_ADDRESS}/${WAN_PREFIX}`, "dev", "wan0"]);
    if (this.options.wanDhcp ?? true) await this.startWanDhcp();
  }

  private async veth(a: string, nsA: string, nameA: string, b: string, nsB: string, nameB: string, macA?: string): Promise<void> {
    await must(["ip", "link", "add", a, "type", "veth", "peer", "name", b]);
    await must(["ip", "link", "set", a, "netns", nsA]);
    await must(["ip", "link", "set", b, "netns", nsB]);
    await must(["ip", "-n", nsA, "link", "set", a, "name", nameA]);
    await must(["ip", "-n", nsB, "link", "set", b, "name", nameB]);
    if (macA) await must(["ip", "-n", nsA, "link", "set", nameA, "address", macA]);
    await must(["ip", "-n", nsB, "link", "set", nameB, "up"]);
  }

  /**
   * A third peer behind an interface named tun0 on the device: what the firewall and
   * sshd see of the OpenVPN recovery tunnel (the twin has no OpenVPN; the rules match
   * the interface name only). Addresses are the caller's.
   */
  async addTunnelPeer(): Promise<void> {
    await run(["ip", "netns", "del", this.tun]);
    await must(["ip", "netns", "add", this.tun]);
    await must(["ip", "-n", this.tun, "link", "set", "lo", "up"]);
    const p = this.options.prefix;
    await this.veth(`${p}e`, this.device, "tun0", `${p}f`, this.tun, "tunpeer0");
  }

  /** The upstream router's DHCP server: the real dnsmasq on the WAN peer. */
  private async startWanDhcp(): Promise<void> {
    const pidFile = `/run/${this.wan}-dnsmasq.pid`;
    await must([
      "nsenter", `--net=${this.nsPath(this.wan)}`,
      "dnsmasq", "--port=0", "--interface=wan0", "--bind-interfaces", "--no-resolv", "--no-hosts",
      `--dhcp-range=${WAN_DHCP_RANGE[0]},${WAN_DHCP_RANGE[1]},255.255.255.0,1h`,
      `--dhcp-option=option:router,${WAN_PEER_ADDRESS}`, `--dhcp-option=option:dns-server,${WAN_PEER_ADDRESS}`,
      `--dhcp-leasefile=/run/${this.wan}-dnsmasq.leases`, `--pid-file=${pidFile}`,
    ]);
    const r = await run(["cat", pidFile]);
    this.dhcpPid = Number(r.stdout.trim()) || undefined;
  }

  /** Runs argv in a peer's network namespace (host filesystem, peer's network). */
  peer(peer: Peer, argv: string[], timeoutMs = 30_000) {
    return run(["nsenter", `--net=${this.nsPath({ wan: this.wan, lan: this.lan, tun: this.tun }[peer])}`, ...argv], { timeoutMs });
  }

  async destroy(): Promise<void> {
    if (this.dhcpPid) {
      try {
        process.kill(this.dhcpPid, "SIGTERM");
      } catch {
        /* already gone */
      }
      this.dhcpPid = undefined;
    }
    for (const ns of [this.device, this.wan, this.lan, this.tun]) await run(["ip", "netns", "del", ns]);
  }
}
