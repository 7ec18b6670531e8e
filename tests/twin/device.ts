import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, type TestContext } from "vitest";
import type { ContainerTarget } from "../../conformance/targets/container/container.js";
import { currentTarget } from "../../conformance/targets.js";
import { locateTwin, type TwinBuild } from "../../twin/locate.js";
import type { Peer } from "../../conformance/targets/container/network.js";

/** Shared steps of the device scenarios on the nspawn twin. */
export const LAN_GATEWAY = "172.20.30.1";
export const LAN_CLIENT = "172.20.30.50";
export const PROVISION = "node /usr/lib/atomicnix/device/provisioning.mjs";

/** For tests that boot their own twins: the fixture's skip rules, without its twin. */
export function twinBuildOrSkip(context: TestContext): TwinBuild {
  if (currentTarget() !== "container") context.skip("not a container run");
  const build = locateTwin();
  if ("missing" in build) return context.skip(build.missing);
  if (process.getuid?.() !== 0) context.skip("the container twin needs root (namespaces, nspawn)");
  return build;
}

export interface HostKey {
  path: string;
  pub: string;
}

let keyDir: string | undefined;
// registered in each test file that imports this module (vitest isolates files)
afterAll(() => {
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  keyDir = undefined;
});

/** A key pair made by the host's real ssh-keygen (in one directory per test process). */
export function hostKey(name: string): HostKey {
  if (!keyDir) {
    keyDir = mkdtempSync(join(tmpdir(), "atomicnix-key-"));
  }
  const path = join(keyDir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${name}@twin-test`, "-f", path]);
  return { path, pub: readFileSync(`${path}.pub`, "utf8").trim() };
}

/** The smallest valid config.toml: admin keys, one declared container, health on it. */
export function configToml(adminKeys: string[], extra = ""): string {
  return [
    "version = 1",
    "[admin]",
    `ssh_keys = [${adminKeys.map((k) => JSON.stringify(k)).join(", ")}]`,
    "[firewall.inbound]",
    "tcp = [443]",
    "[health]",
    'required = ["myapp"]',
    "[container.myapp]",
    "privileged = false",
    "[container.myapp.Container]",
    'Image = "localhost/myapp:1"',
    extra,
  ].join("\n");
}

/**
 * Provisions through the device's own importer (the same code as the console's
 * apply), then runs the LAN and firewall apply units as first-boot does. first-boot
 * itself cannot finish on the nspawn twin: its quadlet-sync step needs rootless
 * podman, which cannot store images there (overlay over overlayfs), and RAUC has no
 * slots; so it is stopped, and the sentinel is written here when `sentinel` is set.
 * Without it (false), each later boot runs first-boot again on the stored configuration.
 */
export async function provision(t: ContainerTarget, adminKeys: string[], options: { sentinel?: boolean; extra?: string } = {}): Promise<void> {
  await t.succeed("systemctl stop first-boot.service");
  await t.succeed(`cat > /run/provision.toml && ${PROVISION} import /run/provision.toml --root /data/config`, { input: configToml(adminKeys, options.extra) });
  await t.succeed("systemctl restart lan-gateway-apply.service provisioned-firewall-inbound.service");
  await t.succeed(options.sentinel ?? true ? "touch /data/.completed_first_boot" : "rm -f /data/.completed_first_boot");
}

/** Gives the LAN client namespace its address (next to the gateway's fallback address by default). */
export async function lanClient(t: ContainerTarget, cidr = `${LAN_CLIENT}/24`): Promise<void> {
  const r = await t.peer("lan", ["ip", "addr", "replace", cidr, "dev", "lan0"]);
  if (r.code !== 0) throw new Error(`LAN client address: ${r.stderr}`);
}

/** The WAN address eth0 leased from the WAN peer's DHCP server. */
export async function wanAddress(t: ContainerTarget): Promise<string> {
  await t.waitUntil("ip -4 -o addr show eth0 | grep -q inet", "a DHCP lease on eth0 from the WAN peer", 30_000);
  return (await t.succeed("ip -4 -o addr show eth0")).trim().split(/\s+/)[3]!.split("/")[0]!;
}

const SSH_BASE = ["-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "-o", "BatchMode=yes"];

/** The real ssh client in a peer namespace, logging in with `key` only. */
export function sshLogin(t: ContainerTarget, peer: Peer, user: string, host: string, key: HostKey, command = "true") {
  return t.peer(peer, ["ssh", ...SSH_BASE, "-o", "IdentitiesOnly=yes", "-o", "PreferredAuthentications=publickey", "-i", key.path, `${user}@${host}`, command], 20_000);
}

/**
 * The method probe of auth.sshd-policy.probe: no method offered by the client, so the
 * server's list of methods that can continue is all it says; returns that list.
 */
export async function methodProbe(t: ContainerTarget, peer: Peer, user: string, host: string): Promise<string> {
  const r = await t.peer(peer, ["ssh", ...SSH_BASE, "-vv", "-o", "PreferredAuthentications=none", "-o", "PubkeyAuthentication=no", `${user}@${host}`, "true"], 20_000);
  const lines = [...r.stderr.matchAll(/Authentications that can continue: (\S*)/g)];
  if (r.code === 0 || lines.length === 0) throw new Error(`method probe ${user}@${host} from ${peer}: exit ${r.code}\n${r.stderr}`);
  return lines.at(-1)![1]!;
}
