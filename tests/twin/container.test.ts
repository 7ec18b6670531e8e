import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { useContainerTwin } from "./container-fixture.js";

// Device scenarios the nspawn twin proves for real: the twin's own root, units and
// runtime, booted by systemd, probed from peer namespaces. Runs only with
// ATOMICNIX_TARGET=container (npx tsx twin/run-suite.ts); skipped otherwise.
const twin = useContainerTwin();
const SLOW = { targets: ["container"] as const, timeout: 180_000 };

scenario("root.overlay.volatile", SLOW, async ({ context }) => {
  const t = await twin(context);
  const shipped = await t.succeed("cat /etc/hostname");
  expect(await t.succeed("findmnt -n -o FSTYPE /")).toBe("overlay\n");
  await t.succeed("echo probe > /etc/overlay-probe && mkdir -p /var/lib && echo probe > /var/lib/overlay-probe && echo changed > /etc/hostname");
  expect(await t.succeed("cat /etc/overlay-probe /etc/hostname")).toBe("probe\nchanged\n");
  await t.succeed("echo kept > /data/overlay-probe-data");
  await t.reboot();
  const after = await t.exec("test -e /etc/overlay-probe; echo etc=$?; test -e /var/lib/overlay-probe; echo var=$?; cat /etc/hostname; cat /data/overlay-probe-data");
  expect(after.stdout).toBe(`etc=1\nvar=1\n${shipped}kept\n`);
  const write = await t.exec("touch /run/rootfs-base/etc/probe");
  expect(write.code).not.toBe(0);
  expect(write.stderr).toMatch(/Read-only file system/);
  await t.succeed("rm -f /data/overlay-probe-data");
});

scenario("lan.lan-address.fallback", SLOW, async ({ context }) => {
  const t = await twin(context);
  const settings = "/data/config/lan-settings.json";
  // in turn: no file, a truncated file, a /16 gateway (outside the allowed shape)
  for (const content of [undefined, '{"gateway_cidr":', '{"gateway_cidr":"10.50.0.1/16"}']) {
    if (content === undefined) await t.succeed(`rm -f ${settings}`);
    else await t.succeed(`mkdir -p /data/config && cat > ${settings}`, { input: content });
    await t.reboot();
    await t.waitForUnit("lan-gateway-apply.service", 30_000);
    await t.waitUntil("ip -4 -o addr show eth1 | grep -q inet", "an eth1 address", 15_000);
    const addrs = (await t.succeed("ip -4 -o addr show eth1")).trim().split("\n").map((l) => l.split(/\s+/)[3]);
    expect(addrs, `eth1 with lan-settings ${content ?? "(none)"}`).toEqual(["172.20.30.1/24"]);
    expect(await t.succeed("systemctl show -P ExecMainStatus lan-gateway-apply.service")).toBe("0\n");
    const journal = await t.succeed("journalctl -b -o cat -u lan-gateway-apply.service");
    expect(journal).toMatch(/fallback/i);
    if (content !== undefined) expect(journal).toContain(settings);
  }
  await t.succeed(`rm -f ${settings}`);
});

scenario("lan.no-forwarding.sysctl", SLOW, async ({ context }) => {
  const t = await twin(context);
  await t.waitForUnit("provisioned-firewall-inbound.service");
  await t.waitForUnit("lan-gateway-apply.service");
  await t.succeed("systemctl start ssh-wan-reload.service");
  expect(await t.succeed("sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding")).toBe("0\n0\n");
  // what the boot's sysctl configuration sets (last assignment wins, as systemd-sysctl applies it)
  const conf = await t.succeed("/usr/lib/systemd/systemd-sysctl --cat-config");
  for (const key of ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"]) {
    const values = [...conf.matchAll(new RegExp(`^\\s*-?${key.replace(/\./g, "[./]")}\\s*=\\s*(\\S+)`, "gm"))].map((m) => m[1]);
    expect(values.at(-1), `${key} in the sysctl configuration`).toBe("0");
  }
});

scenario("fw.wan-closed.scan", SLOW, async ({ context }) => {
  const t = await twin(context);
  await t.waitForUnit("nftables.service");
  await t.succeed("rm -f /data/config/firewall-inbound.json /data/config/ssh-wan-enabled && systemctl reload-or-restart nftables.service");
  const wanAddr = await waitWanAddress(t);
  // test listeners on TCP 443 and UDP 1194, all addresses; UDP datagrams are logged
  await t.succeed(
    `systemd-run --unit=twin-listeners --collect node -e '` +
      `require("net").createServer(s=>s.end("hi")).listen(443);` +
      `const u=require("dgram").createSocket("udp4");u.on("message",m=>require("fs").appendFileSync("/run/udp1194.log",m+"\\n"));u.bind(1194);'`,
  );
  await t.waitForPort(443);
  await t.waitForPort(1194, { protocol: "udp" });
  const tcp443 = await t.peer("wan", ["timeout", "3", "bash", "-c", `exec 3<>/dev/tcp/${wanAddr}/443`]);
  const tcp22 = await t.peer("wan", ["timeout", "3", "bash", "-c", `exec 3<>/dev/tcp/${wanAddr}/22`]);
  expect(tcp443.code, "TCP 443 from the WAN").toBe(124);
  expect(tcp22.code, "TCP 22 from the WAN").toBe(124);
  await t.peer("wan", ["bash", "-c", `echo probe > /dev/udp/${wanAddr}/1194`]);
  const scan = await t.peer("wan", ["nmap", "-Pn", "-sS", "-p", "1-65535", "-n", "--min-rate", "20000", "--max-retries", "1", "-oG", "-", wanAddr], 170_000);
  expect(scan.code, scan.stderr).toBe(0);
  expect(scan.stdout).toMatch(/Host: /);
  expect(scan.stdout).not.toMatch(/\/open\/|\/closed\//);
  expect((await t.exec("cat /run/udp1194.log")).stdout).toBe("");
  await t.exec("systemctl stop twin-listeners");
});

async function waitWanAddress(t: Awaited<ReturnType<typeof twin>>): Promise<string> {
  await t.waitUntil("ip -4 -o addr show eth0 | grep -q inet", "a DHCP lease on eth0 from the WAN peer", 30_000);
  return (await t.succeed("ip -4 -o addr show eth0")).trim().split(/\s+/)[3]!.split("/")[0]!;
}

