import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { ContainerTarget } from "../../conformance/targets/container/container.js";
import { run } from "../../conformance/targets/driver.js";
import { useContainerTwin } from "./container-fixture.js";
import { configToml, hostKey, LAN_GATEWAY, lanClient, methodProbe, PROVISION, provision, sshLogin, twinBuildOrSkip, wanAddress } from "./device.js";

// SSH authentication on the nspawn twin: the real sshd with the device policy,
// reached by the real ssh client from the LAN, WAN and tunnel peer namespaces.
const twin = useContainerTwin();
const SLOW = { targets: ["container"] as const, timeout: 180_000 };
const admin = hostKey("admin");

scenario("auth.sshd-policy.probe", SLOW, async ({ context }) => {
  const t = await twin(context);
  await provision(t, [admin.pub]);
  await lanClient(t);
  await t.waitForPort(22);
  for (const user of ["admin", "root"]) expect(await methodProbe(t, "lan", user, LAN_GATEWAY), `methods for ${user}`).toBe("publickey");
  // the key is good (admin logs in with it), yet root is refused with it
  expect((await sshLogin(t, "lan", "admin", LAN_GATEWAY, admin, "id -un")).stdout).toBe("admin\n");
  const root = await sshLogin(t, "lan", "root", LAN_GATEWAY, admin, "id -un");
  expect(root.code).toBe(255);
  expect(root.stderr).toMatch(/Permission denied \(publickey\)/);
  expect(root.stdout).toBe("");
});

scenario("auth.no-default-credentials.locked", SLOW, async ({ context }) => {
  const t = await twin(context);
  await provision(t, [admin.pub]);
  for (const user of ["root", "admin"]) {
    const fields = (await t.succeed(`passwd -S ${user}`)).trim().split(/\s+/);
    expect(fields.slice(0, 2), `passwd -S ${user}`).toEqual([user, "L"]);
  }
  const shadow = (await t.succeed("getent shadow")).trim().split("\n");
  expect(shadow.map((l) => l.split(":")[0])).toEqual(expect.arrayContaining(["root", "admin"]));
  for (const line of shadow) {
    const [name, hash] = line.split(":");
    expect(hash, `shadow entry of ${name}`).not.toBe("");
    expect(hash, `shadow entry of ${name}`).not.toMatch(/^\$/);
  }
});

scenario("auth.admin-keys.rotation", SLOW, async ({ context }) => {
  const t = await twin(context);
  const k = hostKey("rotation-k");
  const m = hostKey("rotation-m");
  await provision(t, [k.pub]);
  await lanClient(t);
  await t.waitForPort(22);
  await t.succeed("install -d -o admin -g admin -m 0700 ~admin/.ssh && cat > ~admin/.ssh/authorized_keys && chown admin:admin ~admin/.ssh/authorized_keys && chmod 0600 ~admin/.ssh/authorized_keys", { input: `${m.pub}\n` });
  const mainPid = await t.succeed("systemctl show -P MainPID ssh.service");
  expect(Number(mainPid)).toBeGreaterThan(0);
  const login = async (key: typeof k) => (await sshLogin(t, "lan", "admin", LAN_GATEWAY, key, "id -un")).code;
  expect(await login(k), "K before the rotation").toBe(0);
  expect(await login(m), "M (home directory only) before the rotation").toBe(255);
  // the rotation: a new generation whose admin keys are M only, by the device's importer
  await t.succeed(`cat > /run/rotate.toml && ${PROVISION} import /run/rotate.toml --root /data/config`, { input: configToml([m.pub]) });
  expect(await t.succeed("cat /data/config/ssh-authorized-keys/admin")).toBe(`${m.pub}\n`);
  expect(await login(k), "K after the rotation").toBe(255);
  expect(await login(m), "M after the rotation").toBe(0);
  expect((await t.succeed("id -nG admin")).trim().split(/\s+/)).toContain("wheel");
  expect(await t.succeed("systemctl show -P MainPID ssh.service")).toBe(mainPid);
});

scenario("auth.interfaces.key-only", SLOW, async ({ context }) => {
  const t = await twin(context);
  await provision(t, [admin.pub]);
  await lanClient(t);
  await t.net.addTunnelPeer();
  await t.succeed("ip addr replace 10.8.0.1/24 dev tun0 && ip link set tun0 up");
  expect((await t.peer("tun", ["ip", "addr", "replace", "10.8.0.2/24", "dev", "tunpeer0"])).code).toBe(0);
  await t.succeed("touch /data/config/ssh-wan-enabled && systemctl start ssh-wan-reload.service");
  const wan = await wanAddress(t);
  await t.waitForPort(22);
  for (const [peer, host] of [["lan", LAN_GATEWAY], ["wan", wan], ["tun", "10.8.0.1"]] as const) {
    const login = await sshLogin(t, peer, "admin", host, admin, "id -un; echo $SSH_CONNECTION");
    expect(login.code, `login from ${peer}: ${login.stderr}`).toBe(0);
    const [user, connection] = login.stdout.trim().split("\n");
    expect(user).toBe("admin");
    // the login really arrived on that interface's address
    expect(connection!.split(" ")[2], `server address seen from ${peer}`).toBe(host);
    expect(await methodProbe(t, peer, "admin", host), `methods offered on ${peer}`).toBe("publickey");
  }
  await t.succeed("rm -f /data/config/ssh-wan-enabled && systemctl start ssh-wan-reload.service");
});

scenario("auth.host-keys.per-device", { targets: ["container"], timeout: 300_000 }, async ({ context }) => {
  const build = twinBuildOrSkip(context);
  if (!build.rootfs) return context.skip("the twin's slot image (rootfs.squashfs) is not built");
  const scratch = mkdtempSync(join(tmpdir(), "atomicnix-hostkeys-"));
  const slot = join(scratch, "slot");
  const started: ContainerTarget[] = [];
  const boot = async (name: string, root: string, dataDir: string) => {
    const t = new ContainerTarget({ root, dataDir, logDir: join(scratch, `log-${name}`), netPrefix: `hk${process.pid % 10000}${name}`, imageHash: build.key });
    started.push(t);
    await t.start();
    await lanClient(t);
    await t.waitForPort(22);
    return t;
  };
  const fingerprint = async (t: ContainerTarget) => {
    const scan = await t.peer("lan", ["ssh-keyscan", "-T", "5", "-t", "ed25519", LAN_GATEWAY]);
    expect(scan.stdout, scan.stderr).toMatch(/ssh-ed25519 /);
    return execFileSync("ssh-keygen", ["-l", "-f", "-"], { input: scan.stdout, encoding: "utf8" }).split(" ")[1]!;
  };
  try {
    const [a, b] = [await boot("a", build.root, join(scratch, "data-a")), await boot("b", build.root, join(scratch, "data-b"))];
    // first-boot's own completion needs podman and RAUC slots (see provision()); the
    // host key comes from sshd's first start on an empty /data either way
    for (const t of [a, b]) await provision(t, [admin.pub], { sentinel: false });
    const [fa, fb] = [await fingerprint(a), await fingerprint(b)];
    expect(fa).toMatch(/^SHA256:/);
    expect(fa, "host keys of two twins from one image").not.toBe(fb);
    for (const t of [a, b]) {
      const keys = (await t.succeed("sshd -T")).split("\n").filter((l) => l.startsWith("hostkey ")).map((l) => l.slice(8));
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key.startsWith("/data/"), key).toBe(true);
        expect(await t.succeed(`stat -c '%a %U' ${key}`), key).toBe("600 root\n");
      }
    }
    for (const t of [a, b]) await t.reboot();
    expect([await fingerprint(a), await fingerprint(b)], "after a reboot").toEqual([fa, fb]);
    // the newly installed slot: the squashfs image a RAUC install writes, booted on the same /data
    await Promise.all([a.stop(), b.stop()]);
    mkdirSync(slot);
    const mounted = await run(["mount", "-t", "squashfs", "-o", "loop,ro", build.rootfs, slot]);
    expect(mounted.code, mounted.stderr).toBe(0);
    const [a2, b2] = [await boot("c", slot, join(scratch, "data-a")), await boot("d", slot, join(scratch, "data-b"))];
    expect((await run(["findmnt", "-n", "-o", "FSTYPE", slot])).stdout, "the root the twins boot now").toBe("squashfs\n");
    expect([await fingerprint(a2), await fingerprint(b2)], "after booting the slot image").toEqual([fa, fb]);
  } finally {
    for (const t of started) await t.stop().catch(() => undefined);
    await run(["umount", slot]);
    rmSync(scratch, { recursive: true, force: true });
  }
});

