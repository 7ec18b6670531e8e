import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, createReadStream, mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { must } from "../driver.js";

/**
 * What both QEMU twins share: the flash onto a fresh disk, the host's reads of that
 * disk (env, partition hashes), the user-mode networks with their forwards, and the
 * emulator's version for the run metadata.
 */
export interface QemuTwinOptions {
  /** the built flash image (copied, never modified) */
  image: string;
  workDir: string;
  imageHash?: string;
  arch?: string;
  /** disk size the image is flashed onto (default 4 GiB; an SD card's size must be a power of two) */
  diskBytes?: number;
  envOffset?: number;
  envSize?: number;
  memoryMiB?: number;
  /** files put on boot-a of the fresh flash before its first boot (an operator's config.toml) */
  bootFiles?: Record<string, string | Buffer>;
  /** host directory the guest can mount read-only: `mount -t 9p -o trans=virtio,ro host /mnt` */
  share?: string;
  /** LAN (eth1) TCP ports of 172.20.30.1 reachable from the host: guest port -> host port on 127.0.0.1 */
  lanForwards?: Record<number, number>;
  /** WAN (eth0) services: guest connections to 10.0.2.100:<port> reach 127.0.0.1:<host port> */
  wanServices?: Record<number, number>;
  /** progress lines (power on, the slot, multi-user, how each boot ended) */
  log?: (line: string) => void;
}

const MiB = 1024 * 1024;
export const BOOT_PART_OFFSETS: Record<string, number> = { A: 16 * MiB, B: 1168 * MiB };
/** the WAN address where wanServices appear to the guest (QEMU user networking) */
export const WAN_SERVICE_ADDRESS = "10.0.2.100";

/** How one boot ended, from QEMU's own events (QMP), not from the test's intent. */
export type BootEnd = "running" | "guest-reset" | "guest-poweroff" | "watchdog-reset" | "power-cut" | "exited";

/** Copies the image onto a fresh sparse disk, writes the host's fw_env.config for it and puts bootFiles on boot-a. */
export async function flash(options: QemuTwinOptions, disk: string): Promise<void> {
  mkdirSync(options.workDir, { recursive: true });
  copyFileSync(options.image, disk);
  truncateSync(disk, options.diskBytes ?? 4096 * MiB);
  writeFileSync(fwEnvConfig(options), `${disk} 0x${(options.envOffset ?? 0x100000).toString(16)} 0x${(options.envSize ?? 0x4000).toString(16)}\n`);
  for (const [name, content] of Object.entries(options.bootFiles ?? {})) {
    const file = join(options.workDir, `bootfile-${name.replace(/\W/g, "_")}`);
    writeFileSync(file, content);
    await must(["mcopy", "-o", "-i", `${disk}@@${BOOT_PART_OFFSETS.A}`, file, `::/${name}`]);
  }
}

export function fwEnvConfig(options: QemuTwinOptions): string {
  return join(options.workDir, "fw_env.config");
}

/** The U-Boot environment saved on the disk, read on the host with libubootenv. */
export async function readDiskEnv(options: QemuTwinOptions): Promise<Record<string, string>> {
  const out = await must(["fw_printenv", "-c", fwEnvConfig(options)]);
  return Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** SHA-256 of a partition of the disk (or its first `length` bytes), read on the host (fast; TCG hashing is slow). */
export async function diskPartitionSha256(disk: string, partition: number, length?: number): Promise<string> {
  const table = JSON.parse(await must(["sfdisk", "--json", disk])) as { partitiontable: { sectorsize?: number; partitions: { node: string; start: number; size: number }[] } };
  const p = table.partitiontable.partitions.find((x) => new RegExp(`[^0-9]${partition}$`).test(x.node));
  if (!p) throw new Error(`no partition ${partition} on ${disk}`);
  const sector = table.partitiontable.sectorsize ?? 512;
  if (length !== undefined && length > p.size * sector) throw new Error(`partition ${partition} is shorter than ${length} bytes`);
  const hash = createHash("sha256");
  await new Promise<void>((resolve, reject) => {
    createReadStream(disk, { start: p.start * sector, end: p.start * sector + (length ?? p.size * sector) - 1, highWaterMark: 4 * MiB })
      .on("data", (d) => hash.update(d))
      .on("end", () => resolve())
      .on("error", reject);
  });
  return hash.digest("hex");
}

/** The test shell's virtio console on a host socket, and the i6300esb watchdog whose timeout resets the machine. */
export function shellAndWatchdogArgs(shellSocket: string): string[] {
  return [
    "-device", "virtio-serial", "-chardev", `socket,id=shell,path=${shellSocket},server=on,wait=off`, "-device", "virtconsole,chardev=shell",
    "-device", "i6300esb", "-action", "watchdog=reset",
  ];
}

/** The WAN and LAN NICs on QEMU user networking; restrict=on: the guest reaches nothing but what is forwarded. */
export function networkArgs(options: QemuTwinOptions): string[] {
  const relay = join(options.workDir, "relay.cjs");
  writeFileSync(relay, RELAY_SOURCE);
  const wanFwd = Object.entries(options.wanServices ?? {}).map(([g, h]) => `,guestfwd=tcp:${WAN_SERVICE_ADDRESS}:${g}-cmd:node ${relay} ${h}`).join("");
  const lanFwd = Object.entries(options.lanForwards ?? {}).map(([g, h]) => `,hostfwd=tcp:127.0.0.1:${h}-172.20.30.1:${g}`).join("");
  return [
    "-netdev", `user,id=wan,restrict=on,net=10.0.2.0/24${wanFwd}`,
    "-device", "virtio-net-pci,netdev=wan,mac=52:54:00:a7:00:01",
    "-netdev", `user,id=lan,restrict=on,net=172.20.30.0/24,host=172.20.30.2,dhcpstart=172.20.30.200${lanFwd}`,
    "-device", "virtio-net-pci,netdev=lan,mac=52:54:00:a7:00:02",
    ...(options.share ? ["-virtfs", `local,path=${options.share},mount_tag=host,security_model=none,readonly=on`] : []),
  ];
}

/** guestfwd relay: one process per guest connection, stdio <-> 127.0.0.1:<port>. */
const RELAY_SOURCE = `const s = require("net").connect(Number(process.argv[2]), "127.0.0.1");
process.stdin.pipe(s); s.pipe(process.stdout);
s.on("error", () => process.exit(1)); s.on("close", () => process.exit(0));
`;

const qemuVersions = new Map<string, string>();
export function qemuVersion(binary: string): string {
  if (!qemuVersions.has(binary)) {
    let v = "unknown";
    try {
      v = execFileSync(binary, ["--version"], { encoding: "utf8" }).split("\n")[0] ?? "";
    } catch {
      /* not installed: the boot itself reports it */
    }
    qemuVersions.set(binary, v);
  }
  return qemuVersions.get(binary)!;
}
