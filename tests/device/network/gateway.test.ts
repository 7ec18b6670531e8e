// LAN services of the gateway with real packets: real dnsmasq and chronyd in the
// gateway namespace on the files lan-apply wrote, ISC dhclient, dig and an SNTP client
// in the LAN client namespace, the real baseline ruleset and sysctl file.
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { applyProvisionedInbound, applySshWan } from "../../../device/network/firewall-apply.js";
import { parseIpv4 } from "../../../lib/ipv4.js";
import { ETH1_MAC, Lab, namespaceRefusal, run, SITE_SETTINGS, SYSCTL_FILE, TUN_GW_IP, WAN_HOST_IP, type DhcpLease } from "./lab.js";

const refusal = namespaceRefusal();
let lab: Lab;
let lease: DhcpLease | null = null;
const GW = SITE_SETTINGS.gateway_ip;

beforeAll(async () => {
  if (refusal) return;
  lab = new Lab("lan");
  lab.build();
  lab.applyLan(SITE_SETTINGS);
  await lab.startDnsmasq();
  await lab.startChronyd();
  lease = await lab.dhcp();
}, 90_000);
afterAll(() => lab?.destroy());

function needLab(context: { skip: (note?: string) => never }): void {
  if (refusal) context.skip(refusal);
}

function dig(args: string[]): string {
  return lab.exec(lab.ns.lan, ["dig", `@${GW}`, "+time=2", "+tries=1", ...args], { allowFail: true }).stdout;
}

scenario("lan.dhcp-server.lease", { targets: ["host"] }, ({ context }) => {
  needLab(context);
  expect(lease, "dhclient got no lease from dnsmasq").not.toBeNull();
  const ip = parseIpv4(lease!.new_ip_address!)!;
  expect(ip).toBeGreaterThanOrEqual(parseIpv4(SITE_SETTINGS.dhcp_start)!);
  expect(ip).toBeLessThanOrEqual(parseIpv4(SITE_SETTINGS.dhcp_end)!);
  expect(lease!.new_dhcp_lease_time).toBe("86400");
  expect(lease!.new_routers).toBe(GW); // option 3
  expect(lease!.new_domain_name_servers).toBe(GW); // option 6
  expect(lease!.new_ntp_servers).toBe(GW); // option 42
  expect(lease!.new_domain_name).toBe("site.example"); // option 15
  console.log(`DHCP lease from dnsmasq: ${lease!.new_ip_address} for ${lease!.new_dhcp_lease_time}s, router ${lease!.new_routers}, DNS ${lease!.new_domain_name_servers}, NTP ${lease!.new_ntp_servers}, domain ${lease!.new_domain_name}`);
});

scenario("lan.dhcp-server.wan-silent", { targets: ["host"] }, async ({ context }) => {
  needLab(context);
  const before = lab.daemonLog("dnsmasq").filter((l) => /DHCPDISCOVER/.test(l)).length;
  // dhclient repeats its discover during the 6 s window (three or more on the wire)
  const wanLease = await lab.dhcp(lab.ns.wan, { timeoutSec: 6, configure: false });
  expect(wanLease, "a WAN client got a DHCP lease from the gateway").toBeNull();
  expect(lab.daemonLog("dnsmasq").filter((l) => /DHCPDISCOVER/.test(l)).length, "dnsmasq saw a discover from the WAN").toBe(before);
  const sockets = lab.exec(lab.ns.gw, ["ss", "-Hulpn"]).stdout.split("\n").filter((l) => l.includes("dnsmasq"));
  expect(sockets.length).toBeGreaterThan(0);
  for (const s of sockets) {
    const local = s.trim().split(/\s+/)[3]!;
    expect(local, `dnsmasq socket ${s}`).not.toContain("192.0.2.50");
    // wildcard DHCP sockets are bound to eth1 only
    if (/^(0\.0\.0\.0|\*|\[::\])/.test(local)) expect(local).toContain("%eth1");
  }
});

scenario("lan.local-dns.names", { targets: ["host"] }, ({ context }) => {
  needLab(context);
  const names = ["atomicnix-525400123456", "atomicnix-525400123456.site.example", "atomicnix.site.example", "gw"];
  for (const transport of ["+notcp", "+tcp"]) {
    for (const name of names) {
      const out = dig([transport, "+noall", "+answer", name, "A"]);
      const records = out.trim().split("\n").filter(Boolean).map((l) => l.split(/\s+/));
      expect(records.length, `${name} over ${transport}: ${out}`).toBe(1);
      expect(records[0]![3]).toBe("A");
      expect(records[0]![4]).toBe(GW);
    }
  }
  expect(ETH1_MAC.replace(/:/g, "")).toBe("525400123456");
});

scenario("lan.local-dns.no-upstream", { targets: ["host"] }, async ({ context }) => {
  needLab(context);
  // A WAN DNS server that would log every query reaching it.
  const wanDns = await lab.listen(lab.ns.wan, ["udp:53"]);
  try {
    for (const name of ["example.com", "unknown.site.example"]) {
      const started = Date.now();
      const out = dig(["+notcp", name, "A"]);
      const elapsed = Date.now() - started;
      expect(out, `no answer for ${name}`).toMatch(/status: (NXDOMAIN|REFUSED)/);
      expect(out).toMatch(/ANSWER: 0,/);
      expect(elapsed).toBeLessThan(2000);
      console.log(`${name}: ${/status: (\w+)/.exec(out)![1]} in ${elapsed} ms`);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(wanDns.received(), "the WAN DNS server received a query").toEqual([]);
  } finally {
    wanDns.stop();
  }
  const effective = readFileSync(lab.rooted("dnsmasq/atomicnix.conf"), "utf8") + readFileSync(`${lab.root}/run/dnsmasq.d/lan.conf`, "utf8");
  expect(effective).toMatch(/^no-resolv$/m);
  expect(effective).not.toMatch(/^\s*server=/m);
});

scenario("lan.ntp.lan-client", { targets: ["host"] }, async ({ context }) => {
  needLab(context);
  const reply = await lab.probe(lab.ns.lan, ["ntp", GW]);
  expect(reply.reply, "no NTP reply from chronyd").toBe(true);
  expect(reply.mode).toBe(4); // server
  expect(reply.kod).toBe(false);
  expect(reply.stratum).toBeGreaterThanOrEqual(1);
  expect(reply.stratum).toBeLessThanOrEqual(15);
  expect(reply.transmitNonZero).toBe(true);
  const clients = lab.exec(lab.ns.gw, ["chronyc", "-h", lab.chronySocket, "-n", "clients"]).stdout;
  expect(clients).toContain(lease!.new_ip_address!);
  const effective = readFileSync(lab.rooted("chrony/atomicnix.conf"), "utf8") + readFileSync(`${lab.root}/run/chrony.d/lan-allow.conf`, "utf8");
  expect(effective).toMatch(/^allow 10\.50\.0\.0\/24$/m);
  // chrony serves nobody without an allow; any deny line could shadow the LAN allow
  expect(effective).not.toMatch(/^\s*deny\b/m);
});

scenario("lan.ntp.offline", { targets: ["host"] }, async ({ context }) => {
  needLab(context);
  // The gateway namespace has no default route: no upstream NTP server is reachable.
  expect(lab.exec(lab.ns.gw, ["ip", "route", "show", "default"]).stdout.trim()).toBe("");
  const reply = await lab.probe(lab.ns.lan, ["ntp", GW]);
  expect(reply.reply).toBe(true);
  expect(reply.stratum).toBe(10);
  const tracking = lab.exec(lab.ns.gw, ["chronyc", "-h", lab.chronySocket, "-n", "tracking"]).stdout;
  expect(tracking).toMatch(/Reference ID\s*:\s*7F7F0101/); // the local reference
});

scenario("fw.baseline.probes", { targets: ["host"] }, async ({ context }) => {
  needLab(context);
  applyProvisionedInbound({ inboundFile: `${lab.dir}/absent-inbound.json`, nft: lab.nft }); // firewall-inbound.json {} (missing)
  const listeners = await lab.listen(lab.ns.gw, ["tcp:22", "tcp:23", "tcp:80", "tcp:443"]);
  try {
    expect(lease).not.toBeNull();
    expect(dig(["+short", "gw"]).trim()).toBe(GW);
    expect((await lab.probe(lab.ns.lan, ["ntp", GW])).reply).toBe(true);
    const lan = await lab.probe<Record<string, string>>(lab.ns.lan, ["tcp", GW, "3000", "22", "53", "8080", "23", "80", "443"]);
    console.log("LAN client -> gateway TCP:", lan);
    for (const p of ["22", "53", "8080"]) expect(["connected", "refused"], `LAN TCP ${p}`).toContain(lan[p]);
    for (const p of ["23", "80", "443"]) expect(lan[p], `LAN TCP ${p}`).toBe("timeout");
    const tun = await lab.probe<Record<string, string>>(lab.ns.vpn, ["tcp", TUN_GW_IP, "3000", "22", "8080", "53"]);
    console.log("tun0 peer -> gateway TCP:", tun);
    expect(tun["22"]).toBe("connected");
    expect(tun["8080"]).toBe("timeout");
    expect(tun["53"]).toBe("timeout");
  } finally {
    listeners.stop();
  }
});

/** Packets from `src` counted by an nft rule on the WAN host (its own ruleset, not the gateway's). */
function wanCounter(src: string): () => number {
  lab.exec(lab.ns.wan, ["nft", "-f", "-"], { input: `table inet capture\ndelete table inet capture\ntable inet capture {\n chain in {\n  type filter hook prerouting priority -300; policy accept;\n  ip saddr ${src} counter\n }\n}\n` });
  return () => {
    const doc = JSON.parse(lab.exec(lab.ns.wan, ["nft", "-j", "list", "table", "inet", "capture"]).stdout);
    const rule = doc.nftables.find((o: any) => o.rule);
    return rule.rule.expr.find((e: any) => e.counter).counter.packets as number;
  };
}

async function lanTriesWan(): Promise<{ ping: number; tcp: string }> {
  const [ping, tcp] = await Promise.all([
    lab.execAsync(lab.ns.lan, ["ping", "-c", "2", "-W", "2", WAN_HOST_IP]),
    lab.probe<Record<string, string>>(lab.ns.lan, ["tcp", WAN_HOST_IP, "5000", "80"]),
  ]);
  return { ping: ping.status, tcp: tcp["80"]! };
}

scenario("lan.no-forwarding.isolation", { targets: ["host"] }, async ({ context }) => {
  needLab(context);
  const client = lease!.new_ip_address!;
  expect(lab.exec(lab.ns.lan, ["ip", "route", "show", "default"]).stdout).toContain(`via ${GW}`);
  const web = await lab.listen(lab.ns.wan, ["tcp:80"]);
  const packets = wanCounter(client);
  try {
    // 1. as shipped: sysctl off and forward chain drop
    const shipped = await lanTriesWan();
    expect(shipped.ping, "ping to the WAN host succeeded").not.toBe(0);
    expect(shipped.tcp).not.toBe("connected");
    expect(packets(), "the WAN host received packets from the LAN client").toBe(0);
    // 2. the firewall alone: even with forwarding switched on, the forward chain drops
    lab.exec(lab.ns.gw, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    const firewallOnly = await lanTriesWan();
    expect(firewallOnly.ping).not.toBe(0);
    expect(firewallOnly.tcp).not.toBe("connected");
    expect(packets(), "the forward chain let a packet through").toBe(0);
    // 3. control: with forwarding on and the forward chain opened the same probes do
    //    arrive, so the zero counts above measure the gateway, not a broken lab
    lab.exec(lab.ns.gw, ["nft", "chain inet filter forward { policy accept; }"]);
    const open = await lanTriesWan();
    expect(open.tcp).toBe("connected");
    expect(packets()).toBeGreaterThan(0);
    console.log(`isolation: as shipped ping exit ${shipped.ping}, tcp ${shipped.tcp}; forward chain only ping exit ${firewallOnly.ping}, tcp ${firewallOnly.tcp}; control (both opened) tcp ${open.tcp}`);
  } finally {
    lab.exec(lab.ns.gw, ["sysctl", "-q", "-p", SYSCTL_FILE]);
    lab.loadBaseline();
    web.stop();
  }
  // the LAN side of the gateway stays reachable: ping (hardware test 3.4) and DNS
  expect(lab.exec(lab.ns.lan, ["ping", "-c", "1", "-W", "2", GW], { allowFail: true }).status, "ping to the gateway failed").toBe(0);
  expect(dig(["+short", "gw"]).trim()).toBe(GW);
});

scenario("lan.no-forwarding.sysctl", { targets: ["host"] }, ({ context }) => {
  needLab(context);
  lab.applyLan(SITE_SETTINGS);
  applyProvisionedInbound({ inboundFile: `${lab.dir}/absent-inbound.json`, nft: lab.nft });
  applySshWan({ flagFile: `${lab.dir}/ssh-wan-enabled`, nft: lab.nft });
  const values = lab.exec(lab.ns.gw, ["sysctl", "-n", "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"]).stdout.trim().split("\n");
  expect(values).toEqual(["0", "0"]);
  const file = readFileSync(SYSCTL_FILE, "utf8");
  expect(file).toMatch(/^net\.ipv4\.ip_forward\s*=\s*0$/m);
  expect(file).toMatch(/^net\.ipv6\.conf\.all\.forwarding\s*=\s*0$/m);
});

scenario("lan.lan-address.provisioned", { targets: ["host"] }, ({ context }) => {
  needLab(context);
  lab.applyLan(SITE_SETTINGS);
  const addrs = lab.exec(lab.ns.gw, ["ip", "-4", "-o", "addr", "show", "eth1"]).stdout.trim().split("\n").map((l) => l.split(/\s+/)[3]);
  expect(addrs).toEqual(["10.50.0.1/24"]);
  // eth1 never runs a DHCP client: the network file says so, and no DHCP client runs in the gateway
  expect(readFileSync(`${lab.rooted("systemd/network/20-lan.network")}`, "utf8")).toMatch(/^DHCP=no$/m);
  const procs = run(["ip", "netns", "pids", lab.ns.gw]).stdout.split(/\s+/).filter(Boolean);
  const names = procs.map((p) => (existsSync(`/proc/${p}/comm`) ? readFileSync(`/proc/${p}/comm`, "utf8").trim() : ""));
  expect(names).toContain("dnsmasq");
  for (const n of names) expect(n).not.toMatch(/dhclient|udhcpc|dhcpcd/);
});

scenario("lan.lan-address.fallback", { targets: ["host"] }, ({ context }) => {
  needLab(context);
  const cases: Array<[string, string | null, RegExp]> = [
    ["no file", null, /does not exist/],
    ["truncated JSON", '{"gateway_cidr":', /line 1 column 17: invalid JSON/],
    ["a /16 prefix", '{"gateway_cidr":"10.50.0.1/16"}', /gateway_cidr: must match pattern/],
  ];
  try {
    for (const [label, content, reason] of cases) {
      const r = lab.applyLan(content);
      expect(r.fallbackReason, label).toMatch(reason);
      if (content !== null) expect(r.fallbackReason, label).toContain(lab.settingsFile);
      const addrs = lab.exec(lab.ns.gw, ["ip", "-4", "-o", "addr", "show", "eth1"]).stdout.trim().split("\n").map((l) => l.split(/\s+/)[3]);
      expect(addrs, label).toEqual(["172.20.30.1/24"]);
      console.log(`fallback (${label}): ${r.fallbackReason}`);
    }
  } finally {
    lab.applyLan(SITE_SETTINGS);
  }
});
