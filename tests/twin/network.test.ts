import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import type { ContainerTarget } from "../../conformance/targets/container/container.js";
import { run } from "../../conformance/targets/driver.js";
import { useContainerTwin } from "./container-fixture.js";
import { hostKey, LAN_CLIENT, LAN_GATEWAY, lanClient, provision, sshLogin, wanAddress } from "./device.js";

// Firewall and isolation of the nspawn twin, probed from its peer namespaces: the
// twin's own nftables ruleset, sysctls, dnsmasq and sshd, real packets only.
const twin = useContainerTwin();
const SLOW = { targets: ["container"] as const, timeout: 240_000 };
const PROBE = join(import.meta.dirname, "../device/network/probe.mjs");
const WAN_HOST = "192.0.2.10";

async function tcp(t: ContainerTarget, peer: "wan" | "lan", host: string, ports: number[]): Promise<Record<string, string>> {
  const r = await t.peer(peer, ["node", PROBE, "tcp", host, "3000", ...ports.map(String)]);
  if (r.code !== 0) throw new Error(`tcp probe from ${peer}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

/** Listeners in a peer namespace until stopped; datagrams are collected. */
function listen(t: ContainerTarget, ns: string, specs: string[]): { stop: () => void; datagrams: () => string[] } {
  const child = spawn("nsenter", [`--net=${t.net.nsPath(ns)}`, "node", PROBE, "listen", ...specs], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  return { stop: () => child.kill(), datagrams: () => out.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { text?: string }).text ?? "") };
}

/** A real DHCP exchange by ISC dhclient in the LAN peer, configuring lan0 from the lease. */
async function lanLease(t: ContainerTarget): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), "twin-dhcp-"));
  const env = join(dir, "lease.env");
  const script = join(dir, "script");
  writeFileSync(script, `#!/bin/sh\ncase "$reason" in BOUND|RENEW|REBIND|REBOOT)\n  env | grep -E '^new_' > '${env}'\n  ip addr flush dev "$interface"\n  ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"\n  ip route replace default via "$new_routers" dev "$interface"\n;;\nesac\nexit 0\n`, { mode: 0o755 });
  writeFileSync(join(dir, "conf"), "timeout 20;\nretry 1;\nrequest subnet-mask, routers;\n");
  const r = await t.peer("lan", ["dhclient", "-1", "-sf", script, "-cf", join(dir, "conf"), "-lf", join(dir, "leases"), "-pf", join(dir, "pid"), "lan0"], 40_000);
  try {
    process.kill(Number(readFileSync(join(dir, "pid"), "utf8")));
  } catch {
    /* dhclient already gone */
  }
  if (r.code !== 0) throw new Error(`dhclient in the LAN peer: ${r.stderr}`);
  return Object.fromEntries(readFileSync(env, "utf8").trim().split("\n").map((l) => l.split("=", 2) as [string, string]));
}

/** Counts packets from `src` arriving at the WAN peer (an nft counter in its own namespace). */
async function wanCounter(t: ContainerTarget, src: string): Promise<() => Promise<number>> {
  const nft = (cmd: string) => t.peer("wan", ["nft", cmd]);
  await nft("delete table inet capture").catch(() => undefined);
  await nft(`add table inet capture`);
  await nft(`add chain inet capture in { type filter hook prerouting priority -500; }`);
  await nft(`add rule inet capture in ip saddr ${src} counter`);
  return async () => Number(/packets (\d+)/.exec((await nft("list chain inet capture in")).stdout)?.[1] ?? NaN);
}

scenario("lan.no-forwarding.isolation", SLOW, async ({ context }) => {
  const t = await twin(context);
  await t.waitForUnit("dnsmasq.service");
  await t.waitForUnit("nftables.service");
  const lease = await lanLease(t);
  const client = lease.new_ip_address!;
  expect(lease.new_routers).toBe(LAN_GATEWAY);
  expect((await t.peer("lan", ["ip", "route", "show", "default"])).stdout).toContain(`via ${LAN_GATEWAY}`);
  await t.peer("wan", ["ip", "addr", "replace", `${WAN_HOST}/24`, "dev", "wan0"]);
  // the WAN peer routes replies back to the LAN only for the control step
  await t.peer("wan", ["ip", "route", "replace", "172.20.30.0/24", "via", await wanAddress(t)]);
  const web = listen(t, t.net.wan, ["tcp:80"]);
  const packets = await wanCounter(t, client);
  const tries = async () => {
    const [ping, http] = await Promise.all([t.peer("lan", ["ping", "-c", "2", "-W", "2", WAN_HOST]), tcp(t, "lan", WAN_HOST, [80])]);
    return { ping: ping.code, tcp: http["80"] };
  };
  // the device's own namespace, entered from the host (nspawn keeps /proc/sys read-only inside)
  const device = (argv: string[]) => run(["nsenter", `--net=${t.net.nsPath(t.net.device)}`, ...argv]);
  try {
    const shipped = await tries();
    expect(shipped.ping, "ping from the LAN to the WAN host").not.toBe(0);
    expect(shipped.tcp).not.toBe("connected");
    expect(await packets(), "packets from the LAN client seen on the WAN").toBe(0);
    // control: with forwarding on and the forward chain opened the same probes arrive,
    // so the zero above measures the gateway, not a broken lab
    await device(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    await device(["nft", "chain inet filter forward { policy accept; }"]);
    const open = await tries();
    expect(open.tcp, "control: forwarding opened").toBe("connected");
    expect(await packets()).toBeGreaterThan(0);
  } finally {
    web.stop();
    await device(["sysctl", "-q", "-w", "net.ipv4.ip_forward=0"]);
    await t.exec("systemctl restart nftables.service provisioned-firewall-inbound.service ssh-wan-reload.service");
    await t.peer("wan", ["ip", "route", "del", "172.20.30.0/24"]);
    await t.peer("wan", ["ip", "addr", "del", `${WAN_HOST}/24`, "dev", "wan0"]);
    await t.peer("wan", ["nft", "delete table inet capture"]);
  }
  expect((await t.peer("lan", ["ping", "-c", "1", "-W", "2", LAN_GATEWAY])).code, "ping to the gateway").toBe(0);
});

scenario("fw.provisioned.wan-open", SLOW, async ({ context }) => {
  const t = await twin(context);
  await t.waitForUnit("nftables.service");
  await t.succeed(`mkdir -p /data/config && cat > /data/config/firewall-inbound.json && systemctl restart provisioned-firewall-inbound.service`, { input: '{"wan":{"tcp":[443],"udp":[1194]}}\n' });
  const wan = await wanAddress(t);
  await lanClient(t);
  await t.succeed(
    `systemd-run --unit=twin-wan-listeners --collect node -e '` +
      `const n=require("net");for(const p of [443,8443])n.createServer(s=>s.end("hi")).listen(p);` +
      `const u=require("dgram").createSocket("udp4");u.on("message",m=>require("fs").appendFileSync("/run/udp1194.log",m+"\\n"));u.bind(1194);'`,
  );
  try {
    await t.waitForPort(443);
    await t.waitForPort(8443);
    await t.waitForPort(1194, { protocol: "udp" });
    const fromWan = await tcp(t, "wan", wan, [443, 8443]);
    expect(fromWan["443"], "TCP 443 from the WAN").toBe("connected");
    expect(fromWan["8443"], "TCP 8443 from the WAN").toBe("timeout");
    // UDP may lose a datagram (e.g. while the neighbour entry resolves): a few tries
    let received = false;
    const sends: string[] = [];
    for (let i = 0; i < 5 && !received; i++) {
      const sent = await t.peer("wan", ["node", PROBE, "udp", wan, "1194", "wan-probe"]);
      sends.push(`try ${i + 1}: probe exit ${sent.code}${sent.stderr ? ` (${sent.stderr.trim()})` : ""}`);
      // a loaded host may take seconds to run the listener's callback: poll, do not guess
      received = (await t.exec("for i in $(seq 30); do grep -qx wan-probe /run/udp1194.log 2>/dev/null && exit 0; sleep 0.1; done; exit 1")).code === 0;
    }
    const diagnosis = received ? "" : `${sends.join("\n")}\n${(await t.exec("nft list chain inet filter input; ss -ulpn; ip -4 addr show eth0; systemctl status --no-pager twin-wan-listeners; cat /run/udp1194.log; conntrack -L 2>/dev/null | grep 1194")).stdout}`;
    expect(received, `the UDP listener received a datagram from the WAN\n${diagnosis}`).toBe(true);
    const fromLan = await tcp(t, "lan", LAN_GATEWAY, [443]);
    expect(fromLan["443"], `TCP 443 from the LAN client ${LAN_CLIENT}`).toBe("timeout");
  } finally {
    await t.exec("systemctl stop twin-wan-listeners; rm -f /data/config/firewall-inbound.json /run/udp1194.log; systemctl restart provisioned-firewall-inbound.service");
  }
});

scenario("fw.ssh-wan.toggle", SLOW, async ({ context }) => {
  const t = await twin(context);
  const key = hostKey("admin");
  await provision(t, [key.pub]);
  await t.succeed("rm -f /data/config/ssh-wan-enabled && systemctl start ssh-wan-reload.service");
  await t.waitForUnit("ssh.service");
  const wan = await wanAddress(t);
  const attempt = async () => (await t.peer("wan", ["timeout", "5", "bash", "-c", `exec 3<>/dev/tcp/${wan}/22`])).code;
  const dynamicRules = async () => (await t.succeed("nft -a list chain inet filter input")).split("\n").filter((l) => l.includes("SSH-WAN-dynamic")).length;
  expect(await attempt(), "first attempt, no flag").toBe(124);
  await t.succeed("touch /data/config/ssh-wan-enabled && systemctl start ssh-wan-reload.service && systemctl restart ssh-wan-reload.service");
  expect(await dynamicRules(), "one SSH-WAN-dynamic rule after two reloads").toBe(1);
  const login = await sshLogin(t, "wan", "admin", wan, key, "id -un");
  expect(login.code, login.stderr).toBe(0);
  expect(login.stdout).toBe("admin\n");
  await t.succeed("rm -f /data/config/ssh-wan-enabled && systemctl restart ssh-wan-reload.service");
  expect(await attempt(), "third attempt, flag removed").toBe(124);
  await t.succeed("touch /data/config/ssh-wan-enabled");
  await t.reboot();
  await t.waitForUnit("nftables.service");
  await t.waitUntil("nft -a list chain inet filter input | grep -q SSH-WAN-dynamic", "the SSH-WAN rule after the reboot", 30_000);
  expect(await dynamicRules(), "after a reboot with the flag").toBe(1);
  await t.succeed("rm -f /data/config/ssh-wan-enabled && systemctl restart ssh-wan-reload.service");
});
