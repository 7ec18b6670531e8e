import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import type { TargetBase } from "../../conformance/targets/driver.js";
import { rootRequirement } from "../../conformance/targets/ssh/ssh.js";
import { currentDevice } from "./any-device-fixture.js";

// Device scenarios that need only shell commands on the booted device: no power
// control, no U-Boot environment from the host, no peers. They run on any device
// reachable over SSH (a flashed Rock64, a Nix-built VM, and in CI the QEMU twin of the
// VM lifecycle, which calls `conformance run --target ssh` at its end). On the ssh
// target the commands run as the login user (admin), so every step here reads only
// what an unprivileged user can read, except where a test says it needs root.
const ANY = { targets: ["ssh"] as const, timeout: 420_000 };
// steps that hold on the nspawn twin too (its own root, units and tmpfiles; no boot chain)
const ANY_AND_CONTAINER = { targets: ["ssh", "container"] as const, timeout: 420_000 };

interface Mount {
  source: string;
  fstype: string;
  options: string;
  "maj:min": string;
}

async function findmnt(t: TargetBase, args: string): Promise<Mount> {
  const out = JSON.parse(await t.succeed(`findmnt -J -o SOURCE,FSTYPE,OPTIONS,MAJ:MIN ${args}`)) as { filesystems: Mount[] };
  expect(out.filesystems).toHaveLength(1);
  return out.filesystems[0]!;
}

function cmdlineValue(cmdline: string, key: string): string | undefined {
  return cmdline.trim().split(/\s+/).find((w) => w.startsWith(`${key}=`))?.slice(key.length + 1);
}

/** [slot.<class>.<n>] sections of /etc/rauc/system.conf with their keys. */
async function raucSlots(t: TargetBase): Promise<Record<string, Record<string, string>>> {
  const slots: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const line of (await t.succeed("cat /etc/rauc/system.conf")).split("\n")) {
    const section = /^\s*\[slot\.([^\]]+)\]\s*$/.exec(line);
    if (section) slots[section[1]!] = current = {};
    else if (/^\s*\[/.test(line)) current = undefined;
    else if (current && line.includes("=")) current[line.slice(0, line.indexOf("=")).trim()] = line.slice(line.indexOf("=") + 1).trim();
  }
  return slots;
}

/** major:minor of a block device node (after symlinks), in findmnt's decimal notation. */
async function majMin(t: TargetBase, device: string): Promise<string> {
  const [major, minor] = (await t.succeed(`stat -L -c '%t %T' '${device}'`)).trim().split(" ").map((h) => parseInt(h, 16));
  return `${major}:${minor}`;
}

scenario("root.overlay.options", ANY, async ({ context }) => {
  const t = await currentDevice(context);
  const root = await findmnt(t, "/");
  expect(root.fstype).toBe("overlay");
  const options = root.options.split(",");
  expect(options).toContain("lowerdir=/run/rootfs-base");
  expect(options).toContain("upperdir=/run/overlay-root/upper");
  expect(options).toContain("workdir=/run/overlay-root/work");
  expect((await findmnt(t, "-T /run/overlay-root/upper")).fstype).toBe("tmpfs");
});

scenario("root.lower.mounted", ANY, async ({ context }) => {
  const t = await currentDevice(context);
  const cmdline = await t.succeed("cat /proc/cmdline");
  const slot = cmdlineValue(cmdline, "rauc.slot");
  if (slot !== "A") context.skip(`GIVEN the device booted slot A; it booted ${slot ?? "no rauc.slot"}`);
  const lower = await findmnt(t, "/run/rootfs-base");
  expect(lower.fstype).toBe("squashfs");
  expect(lower.options.split(",")).toContain("ro");
  const lowerdev = cmdlineValue(cmdline, "atomicnix.lowerdev");
  expect(lowerdev, "atomicnix.lowerdev= on the command line").toBeDefined();
  expect(lower["maj:min"]).toBe(await majMin(t, lowerdev!));
  const rootfs0 = (await raucSlots(t))["rootfs.0"];
  expect(rootfs0?.device, "slot rootfs.0 in system.conf").toBeDefined();
  expect(await majMin(t, rootfs0!.device!)).toBe(lower["maj:min"]);
});

scenario("root.data-mount.options", ANY, async ({ context }) => {
  const t = await currentDevice(context);
  const data = await findmnt(t, "/data");
  expect(data.fstype).toBe("f2fs");
  expect(data.options.split(",")).toContain("noatime");
  // PARTLABEL from the partition table through udev's database, readable without root.
  const label = JSON.parse(await t.succeed(`lsblk -J -d -o PATH,PARTLABEL,MAJ:MIN '${data.source}'`)) as { blockdevices: { partlabel: string; "maj:min": string }[] };
  expect(label.blockdevices[0]?.partlabel).toBe("data");
  expect(label.blockdevices[0]?.["maj:min"]).toBe(data["maj:min"]);
  const entry = (await t.succeed("cat /etc/fstab"))
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .find((f) => !f[0]?.startsWith("#") && f[1] === "/data");
  expect(entry, "a /data line in /etc/fstab").toBeDefined();
  expect(entry![0]).toBe("PARTLABEL=data");
  expect(entry![3]!.split(",")).toContain("nofail");
});

const TMPFILES_DIRS = [
  "/var/empty", "/var/lib", "/var/lib/systemd/network", "/var/lib/private", "/var/lib/private/systemd/resolve",
  "/var/lib/chrony", "/var/lib/dnsmasq", "/var/cache", "/var/cache/nscd", "/var/log", "/var/log/journal", "/var/db",
];

scenario("root.tmpfiles.present", ANY_AND_CONTAINER, async ({ context }) => {
  const t = await currentDevice(context);
  // /var/lib/private is 0700 root: what is below it is invisible to admin.
  const needsRoot = rootRequirement(t);
  if (needsRoot) context.skip(`${needsRoot}: /var/lib/private/systemd/resolve is below a 0700 root directory`);
  await t.waitForUnit("multi-user.target", 300_000);
  const missing = await t.succeed(`for d in ${TMPFILES_DIRS.join(" ")}; do [ -d "$d" ] || echo "$d"; done`);
  expect(missing.trim().split("\n").filter(Boolean)).toEqual([]);
  expect((await t.succeed("stat -c '%a' /var/lib/private")).trim()).toBe("700");
  expect((await t.succeed("readlink -f /var/run")).trim()).toBe("/run");
});

scenario("root.no-nix.absent", ANY_AND_CONTAINER, async ({ context }) => {
  const t = await currentDevice(context);
  // list-unit-files exits 1 when the pattern matches nothing; the listing is what counts.
  const units = await t.exec("systemctl list-unit-files --no-legend --no-pager 'nix-daemon*'");
  expect([0, 1], units.stderr).toContain(units.code);
  expect(units.stdout.trim()).toBe("");
  // comm of every process (readable by all users without hidepid); a kernel thread has no exe but has a comm.
  const comms = (await t.succeed("cat /proc/[0-9]*/comm 2>/dev/null; true")).split("\n").map((c) => c.trim()).filter(Boolean);
  expect(comms.length).toBeGreaterThan(10);
  expect(comms.filter((c) => c.startsWith("nix-daemon"))).toEqual([]);
});

scenario("boot.script.cmdline", ANY, async ({ context }) => {
  const t = await currentDevice(context);
  const cmdline = await t.succeed("cat /proc/cmdline");
  expect(cmdline.trim().split(/\s+/)).toContain("root=fstab");
  // The booted bootname as RAUC determined it (its own view, not the command line).
  const status = JSON.parse(await t.succeed("rauc status --output-format=json")) as { booted: string; slots: Record<string, { bootname: string | null; parent: string | null }>[] };
  expect(status.booted).toMatch(/^[AB]$/);
  expect(cmdlineValue(cmdline, "rauc.slot")).toBe(status.booted);
  const slots = await raucSlots(t);
  const boot = Object.entries(slots).find(([, s]) => s.bootname === status.booted)?.[0];
  const rootfs = Object.values(slots).find((s) => s.parent === boot);
  expect(rootfs?.device, `the rootfs slot whose parent is ${boot}`).toBeDefined();
  expect(cmdlineValue(cmdline, "atomicnix.lowerdev")).toBe(rootfs!.device);
});
