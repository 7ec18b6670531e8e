// The firewall with real packets: baseline ruleset loaded with nft in the gateway
// namespace, provisioned rules applied by firewall-apply, SSH-on-WAN by the flag file;
// a WAN host scans every TCP port with nmap and probes the provisioned UDP ports.
import { bundleEsm } from "../../../device/build.js";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { listChainRules } from "../../../device/network/nft.js";
import { GW_WAN_IP, Lab, namespaceRefusal, REPO, run, SITE_SETTINGS } from "./lab.js";

const refusal = namespaceRefusal();
let lab: Lab;
let cli: string;
let inbound: string;
let flag: string;
let listeners: Awaited<ReturnType<Lab["listen"]>>;
const GW = SITE_SETTINGS.gateway_ip;

beforeAll(async () => {
  if (refusal) return;
  lab = new Lab("fw");
  lab.build();
  lab.applyLan(SITE_SETTINGS);
  await lab.startDnsmasq();
  await lab.startChronyd();
  const lease = await lab.dhcp();
  if (!lease) throw new Error("the LAN client got no lease");
  inbound = join(lab.dir, "firewall-inbound.json");
  flag = join(lab.dir, "ssh-wan-enabled");
  // The on-device program exactly as the gateway runs it: one bundled file, plain node.
  cli = join(lab.dir, "network.mjs");
  await bundleEsm(join(REPO, "device/network/main.ts"), cli);
  listeners = await lab.listen(lab.ns.gw, ["tcp:22", "tcp:443", "tcp:8443", "tcp:8080", "tcp:80", "udp:1194", "udp:5000"]);
}, 90_000);
afterAll(() => lab?.destroy());

function needLab(context: { skip: (note?: string) => never }): void {
  if (refusal) context.skip(refusal);
}

function setInbound(policy: unknown | null): void {
  if (policy === null) rmSync(inbound, { force: true });
  else writeFileSync(inbound, typeof policy === "string" ? policy : JSON.stringify(policy));
}

function setFlag(on: boolean): void {
  if (on) writeFileSync(flag, "");
  else rmSync(flag, { force: true });
}

/** `provisioned-firewall-inbound.service` / `ssh-wan-*.service`: the bundled program against the gateway's nft. */
function service(name: "firewall-apply" | "ssh-wan") {
  const args = name === "firewall-apply" ? ["--inbound", inbound] : ["--flag", flag];
  return run([process.execPath, cli, name, ...args, "--netns", lab.ns.gw], { allowFail: true });
}

/** nmap SYN scan of every TCP port of the gateway's WAN address from the WAN host. */
function scanWan(label: string): { open: number[]; closed: number[]; filtered: number; seconds: number } {
  const started = Date.now();
  const r = lab.exec(lab.ns.wan, ["nmap", "-Pn", "-sS", "-n", "-p", "1-65535", "--max-retries", "1", "--min-rate", "20000", "--max-rtt-timeout", "100ms", "--initial-rtt-timeout", "50ms", "-oG", "-", GW_WAN_IP], { timeoutMs: 120_000 });
  const seconds = (Date.now() - started) / 1000;
  const ports = [...r.stdout.matchAll(/(\d+)\/(open|closed|filtered|unfiltered|open\|filtered|closed\|filtered)\/tcp/g)];
  const open = ports.filter((m) => m[2] === "open").map((m) => Number(m[1]));
  const closed = ports.filter((m) => m[2] === "closed").map((m) => Number(m[1]));
  const ignored = /Ignored State: filtered \((\d+)\)/.exec(r.stdout);
  const filtered = (ignored ? Number(ignored[1]) : 0) + ports.filter((m) => m[2] === "filtered").length;
  expect(open.length + closed.length + filtered + ports.filter((m) => !["open", "closed", "filtered"].includes(m[2]!)).length, `nmap did not account for every port:\n${r.stdout}`).toBe(65535);
  console.log(`port scan (${label}): nmap -sS -p 1-65535 ${GW_WAN_IP} from the WAN host: open [${open.join(", ")}], closed [${closed.join(", ")}], filtered ${filtered}, ${seconds.toFixed(1)} s`);
  return { open, closed, filtered, seconds };
}

async function udpReaches(ns: string, host: string, port: number): Promise<boolean> {
  const text = `probe-${port}-${Date.now()}-${Math.random()}`;
  await lab.probe(ns, ["udp", host, String(port), text]);
  await new Promise((r) => setTimeout(r, 700));
  return listeners.received().some((d) => d.text === text);
}

/** The ruleset text split into its tables, sorted (listing order follows creation order). */
function byTable(ruleset: string): string[] {
  return ruleset.split(/^(?=table )/m).map((t) => t.trim()).sort();
}

function taggedRules(tag: string) {
  return listChainRules(lab.nft, "inet", "filter", "input").filter((r) => r.comment === tag);
}

scenario("fw.wan-closed.scan", { targets: ["host"] }, async ({ context }) => {
  needLab(context);
  setInbound(null);
  setFlag(false);
  expect(service("firewall-apply").status).toBe(0);
  expect(service("ssh-wan").status).toBe(0);
  const tcp = await lab.probe<Record<string, string>>(lab.ns.wan, ["tcp", GW_WAN_IP, "3000", "443", "22"]);
  expect(tcp).toEqual({ "443": "timeout", "22": "timeout" });
  expect(await udpReaches(lab.ns.wan, GW_WAN_IP, 1194)).toBe(false);
  const scan = scanWan("nothing provisioned");
  expect(scan.open).toEqual([]);
  expect(scan.closed).toEqual([]);
});

scenario("fw.provisioned.wan-open", { targets: ["host"] }, async ({ context }) => {
  needLab(context);
  setInbound({ wan: { tcp: [443], udp: [1194] } });
  setFlag(false);
  const r = service("firewall-apply");
  expect(r.status, r.stderr).toBe(0);
  const tcp = await lab.probe<Record<string, string>>(lab.ns.wan, ["tcp", GW_WAN_IP, "3000", "443", "8443"]);
  expect(tcp).toEqual({ "443": "connected", "8443": "timeout" });
  expect(await udpReaches(lab.ns.wan, GW_WAN_IP, 1194)).toBe(true);
  expect(await udpReaches(lab.ns.wan, GW_WAN_IP, 5000)).toBe(false);
  const lan = await lab.probe<Record<string, string>>(lab.ns.lan, ["tcp", GW, "3000", "443"]);
  expect(lan["443"]).toBe("timeout");
  const scan = scanWan("wan tcp [443], udp [1194]");
  expect(scan.open).toEqual([443]);
  expect(scan.closed).toEqual([]);
});

scenario("fw.ssh-wan.toggle", { targets: ["host"] }, async ({ context }) => {
  needLab(context);
  setInbound({ wan: { tcp: [443], udp: [1194] } });
  expect(service("firewall-apply").status).toBe(0);
  setFlag(false);
  expect(service("ssh-wan").status).toBe(0);
  const ssh = async () => (await lab.probe<Record<string, string>>(lab.ns.wan, ["tcp", GW_WAN_IP, "3000", "22"]))["22"];
  expect(await ssh()).toBe("timeout");
  setFlag(true);
  expect(service("ssh-wan").status).toBe(0);
  expect(service("ssh-wan").status).toBe(0);
  expect(await ssh()).toBe("connected");
  const rules = taggedRules("SSH-WAN-dynamic");
  expect(rules).toHaveLength(1);
  expect(lab.exec(lab.ns.gw, ["nft", "list", "chain", "inet", "filter", "input"]).stdout).toMatch(/iifname "eth0" tcp dport 22 accept comment "SSH-WAN-dynamic"/);
  const scan = scanWan("wan tcp [443] + SSH-on-WAN flag");
  expect(scan.open).toEqual([22, 443]);
  setFlag(false);
  expect(service("ssh-wan").status).toBe(0);
  expect(await ssh()).toBe("timeout");
  expect(taggedRules("SSH-WAN-dynamic")).toHaveLength(0);
  // "after a reboot with the flag": the boot path is a baseline load followed by the toggle
  setFlag(true);
  lab.loadBaseline();
  expect(service("ssh-wan").status).toBe(0);
  expect(taggedRules("SSH-WAN-dynamic")).toHaveLength(1);
  setFlag(false);
  expect(service("ssh-wan").status).toBe(0);
});

scenario("fw.lan-scope.both-protocols", { targets: ["host"] }, async ({ context }) => {
  needLab(context);
  setFlag(false);
  expect(service("ssh-wan").status).toBe(0);
  for (const policy of [{ lan: { tcp: [443] } }, { lan: { udp: [5000] } }]) {
    setInbound(policy);
    const r = service("firewall-apply");
    expect(r.status, r.stderr).toBe(0);
    const label = JSON.stringify(policy);
    const lease = await lab.dhcp(lab.ns.lan, { configure: false, timeoutSec: 15 });
    expect(lease?.new_ip_address, `${label}: DHCP`).toMatch(/^10\.50\.0\.1(0\d|10)$/);
    const dns = lab.exec(lab.ns.lan, ["dig", `@${GW}`, "+notcp", "+time=2", "+tries=1", "+short", "gw"], { allowFail: true }).stdout.trim();
    expect(dns, `${label}: DNS over UDP`).toBe(GW);
    const ntp = await lab.probe(lab.ns.lan, ["ntp", GW]);
    expect(ntp.reply && ntp.mode === 4, `${label}: NTP`).toBe(true);
    const tcp = await lab.probe<Record<string, string>>(lab.ns.lan, ["tcp", GW, "3000", "22", "53", "8080", "443"]);
    console.log(`LAN scope ${label}: LAN TCP`, tcp);
    for (const p of ["22", "53", "8080"]) expect(tcp[p], `${label}: LAN TCP ${p}`).toBe("connected");
    expect(tcp["443"], `${label}: LAN TCP 443`).toBe(policy.lan.tcp ? "connected" : "timeout");
    if (policy.lan.udp) expect(await udpReaches(lab.ns.lan, GW, 5000), `${label}: LAN UDP 5000`).toBe(true);
    const wan = await lab.probe<Record<string, string>>(lab.ns.wan, ["tcp", GW_WAN_IP, "3000", "443"]);
    expect(wan["443"], `${label}: WAN TCP 443`).toBe("timeout");
  }
});

scenario("fw.apply.idempotent", { targets: ["host"] }, ({ context }) => {
  needLab(context);
  lab.loadBaseline();
  lab.exec(lab.ns.gw, ["nft", "-f", "-"], { input: 'table inet probe {\n chain c {\n  tcp dport 9 counter comment "probe-test-rule"\n }\n}\n' });
  setInbound({ wan: { tcp: [443], udp: [1194] }, lan: { tcp: [8443] } });
  setFlag(true);
  try {
    expect(service("firewall-apply").status).toBe(0);
    const first = lab.ruleset();
    expect(service("ssh-wan").status).toBe(0);
    expect(service("firewall-apply").status).toBe(0);
    const last = lab.ruleset();
    expect(last).toBe(lab.ruleset());
    expect(taggedRules("provisioned-inbound")).toHaveLength(3);
    expect(taggedRules("SSH-WAN-dynamic")).toHaveLength(1);
    expect(last).toContain('comment "probe-test-rule"');
    // first run had no SSH rule yet; the last must equal it plus exactly that rule
    expect(last.replace(/\n\s*iifname "eth0" tcp dport 22 accept comment "SSH-WAN-dynamic"/, "")).toBe(first);
    // reapplying in any order gives the same text
    expect(service("ssh-wan").status).toBe(0);
    expect(service("firewall-apply").status).toBe(0);
    expect(lab.ruleset()).toBe(last);
    // nftables.service restart: baseline reloaded, PartOf units start again
    lab.loadBaseline();
    expect(taggedRules("provisioned-inbound")).toHaveLength(0);
    expect(service("firewall-apply").status).toBe(0);
    expect(service("ssh-wan").status).toBe(0);
    // table order in a listing is creation order; the recreated filter table now lists after probe
    expect(byTable(lab.ruleset())).toEqual(byTable(last));
  } finally {
    setFlag(false);
    lab.exec(lab.ns.gw, ["nft", "delete", "table", "inet", "probe"], { allowFail: true });
  }
});

scenario("fw.inbound-file.failed-apply", { targets: ["host"] }, ({ context }) => {
  needLab(context);
  lab.loadBaseline();
  setInbound({ wan: { tcp: [443] } });
  expect(service("firewall-apply").status).toBe(0);
  const saved = lab.ruleset();
  const failures: Array<[string, () => void, RegExp]> = [
    ["port 0", () => setInbound({ wan: { tcp: [0] } }), /wan\.tcp\[0\]: must be >= 1/],
    ["not JSON", () => setInbound("not json"), /invalid JSON/],
    [
      "table without chain input",
      () => {
        setInbound({ wan: { tcp: [443] } });
        const table = lab.exec(lab.ns.gw, ["nft", "list", "table", "inet", "filter"]).stdout.replace(/\tchain input \{[\s\S]*?\n\t\}\n/, "");
        lab.exec(lab.ns.gw, ["nft", "-f", "-"], { input: `delete table inet filter\n${table}` });
      },
      /nft -j list chain inet filter input failed/,
    ],
  ];
  try {
    for (const [label, change, cause] of failures) {
      change();
      const before = lab.ruleset();
      if (label !== "table without chain input") expect(before).toBe(saved);
      const r = service("firewall-apply");
      expect(r.status, label).not.toBe(0);
      expect(r.stderr, label).toMatch(cause);
      expect(r.stderr, label).toContain("ruleset left unchanged");
      expect(lab.ruleset(), label).toBe(before);
      console.log(`failed apply (${label}): exit ${r.status}: ${r.stderr.trim()}`);
    }
  } finally {
    lab.loadBaseline();
  }
});

scenario("fw.inbound-file.flat-form", { targets: ["host"] }, ({ context }) => {
  needLab(context);
  const ports = { tcp: [443, 80], udp: [1194] };
  /** One `provisioned-firewall-inbound.service` run from a fresh baseline, with --json to see the batch. */
  const applyFrom = (policy: unknown) => {
    lab.loadBaseline();
    setInbound(policy);
    const r = run([process.execPath, cli, "firewall-apply", "--inbound", inbound, "--netns", lab.ns.gw, "--json"], { allowFail: true });
    return { status: r.status, stderr: r.stderr, out: r.status === 0 ? (JSON.parse(r.stdout) as { batch: string; rules: string[]; warnings: string[] }) : undefined, ruleset: lab.ruleset() };
  };
  try {
    const flat = applyFrom(ports);
    const scoped = applyFrom({ wan: ports });
    expect(flat.status, flat.stderr).toBe(0);
    expect(scoped.status, scoped.stderr).toBe(0);
    expect(scoped.out!.batch).toMatch(/^add rule inet filter input iifname "eth0" /m);
    expect(flat.out!.batch).toBe(scoped.out!.batch);
    expect(flat.ruleset).toBe(scoped.ruleset);
    // read back from nft, not from the batch: exactly the three ports, each on eth0 only
    const opened = flat.ruleset.split("\n").map((l) => l.trim()).filter((l) => l.endsWith('comment "provisioned-inbound"'));
    expect(opened).toEqual(['iifname "eth0" tcp dport 80 accept comment "provisioned-inbound"', 'iifname "eth0" tcp dport 443 accept comment "provisioned-inbound"', 'iifname "eth0" udp dport 1194 accept comment "provisioned-inbound"']);
    const warnings = flat.stderr.split("\n").filter(Boolean);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(inbound);
    expect(warnings[0]).toMatch(/warning: .*flat form .* read as WAN/);
    expect(scoped.stderr).toBe("");
    console.log(`flat-form apply: ${warnings[0]}`);

    // a mix of flat and scoped keys: refused before nft is touched
    const before = lab.ruleset();
    setInbound({ tcp: [443], wan: { udp: [1194] } });
    const mixed = service("firewall-apply");
    expect(mixed.status).not.toBe(0);
    expect(mixed.stderr).toContain(`${inbound}: (root): the flat form (tcp, udp) and the scoped form (wan, lan) cannot be mixed`);
    expect(mixed.stderr).toContain("ruleset left unchanged");
    expect(lab.ruleset()).toBe(before);
    console.log(`mixed-form apply: exit ${mixed.status}: ${mixed.stderr.trim()}`);
  } finally {
    lab.loadBaseline();
  }
});

scenario("fw.forward.after-apply", { targets: ["host"] }, ({ context }) => {
  needLab(context);
  lab.loadBaseline();
  setFlag(true);
  setInbound({ wan: { tcp: [443] }, lan: { tcp: [8443] } });
  try {
    for (let i = 0; i < 2; i++) {
      expect(service("firewall-apply").status).toBe(0);
      expect(service("ssh-wan").status).toBe(0);
    }
    const doc = JSON.parse(lab.exec(lab.ns.gw, ["nft", "-j", "list", "chain", "inet", "filter", "forward"]).stdout);
    const chain = doc.nftables.find((o: any) => o.chain).chain;
    expect(chain.policy).toBe("drop");
    expect(doc.nftables.filter((o: any) => o.rule)).toEqual([]);
    expect(lab.exec(lab.ns.gw, ["sysctl", "-n", "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"]).stdout.trim().split("\n")).toEqual(["0", "0"]);
  } finally {
    setFlag(false);
  }
});
