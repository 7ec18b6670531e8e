import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { ContainerTarget } from "../../conformance/targets/container/container.js";
import { WAN_PEER_ADDRESS } from "../../conformance/targets/container/network.js";
import { run, sleep } from "../../conformance/targets/driver.js";
import { twinBuildOrSkip, wanAddress } from "./device.js";

// The device identity on the nspawn twin: a twin of its own, booted with the MACs the
// scenario names, polling a test update server on the WAN peer.
// Not bound here: lan.wan-dhcp.lease asks `resolvectl dns eth0`, and the twin's root
// has no systemd-resolved (nor do the NixOS modules enable it).

scenario("lan.device-identity.eth0", { targets: ["container"], timeout: 240_000 }, async ({ context }) => {
  const build = twinBuildOrSkip(context);
  const scratch = mkdtempSync(join(tmpdir(), "atomicnix-identity-"));
  const requests = join(scratch, "requests.log");
  const t = new ContainerTarget({
    root: build.root, dataDir: join(scratch, "data"), logDir: join(scratch, "log"), imageHash: build.key,
    netPrefix: `id${process.pid % 10000}`, wanMac: "52:54:00:AB:CD:02", lanMac: "52:54:00:AB:CD:01",
  });
  let server: ReturnType<typeof spawn> | undefined;
  try {
    await t.start();
    // the test update server: records each request's X-Device-ID, answers "no update"
    server = spawn("nsenter", [`--net=${t.net.nsPath(t.net.wan)}`, process.execPath, "-e",
      `require("http").createServer((q,s)=>{require("fs").appendFileSync(${JSON.stringify(requests)},q.url+" "+(q.headers["x-device-id"]??"-")+"\\n");s.writeHead(204);s.end()}).listen(8600,"${WAN_PEER_ADDRESS}")`], { stdio: "ignore" });
    await t.succeed(`mkdir -p /data/config && cat > /data/config/os-upgrade.json`, { input: JSON.stringify({ server_url: `http://${WAN_PEER_ADDRESS}:8600` }) });
    const poll = async (n: number) => {
      await wanAddress(t);
      await t.waitUntil(`bash -c 'exec 3<>/dev/tcp/${WAN_PEER_ADDRESS}/8600'`, "the update server", 15_000);
      await t.succeed("systemctl start os-upgrade.service", { timeoutMs: 120_000 });
      // the unit has finished, so its request is in; the server's append may trail it
      for (let i = 0; i < 100 && readLines(requests).filter((l) => l.startsWith("/api/")).length < n; i++) await sleep(50);
    };
    expect(await t.succeed("cat /sys/class/net/eth0/address /sys/class/net/eth1/address")).toBe("52:54:00:ab:cd:02\n52:54:00:ab:cd:01\n");
    await poll(1);
    // eth1 gets another MAC while the twin runs; the next boot finds it so
    const changed = await run(["ip", "-n", t.net.device, "link", "set", "eth1", "address", "52:54:00:00:00:99"]);
    expect(changed.code, changed.stderr).toBe(0);
    await t.reboot();
    expect(await t.succeed("cat /sys/class/net/eth1/address")).toBe("52:54:00:00:00:99\n");
    await poll(2);
    const polls = readLines(requests).filter((l) => l.startsWith("/api/"));
    expect(polls).toHaveLength(2);
    for (const line of polls) expect(line.split(" ")[1], line).toBe("525400abcd02");
  } finally {
    server?.kill();
    await t.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
});

function readLines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}
