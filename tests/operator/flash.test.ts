import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { inspectTarget } from "../../operator/block-device.js";
import { refusal } from "../../operator/flash.js";

/**
 * atomicnix flash against real loop devices (losetup), as an operator would run it on
 * a card reader: the image is a small GPT disk with the Rock64 layout's shape.
 */
const onHost = { targets: ["host"] } as const;
const CLI = join(import.meta.dirname, "..", "..", "bin", "atomicnix.js");
const work = mkdtempSync(join(tmpdir(), "atomicnix-flash-"));
const loops: string[] = [];
const mounts: string[] = [];
const MiB = 1024 * 1024;
let image: string;

function loop(sizeMiB: number, partitioned = false): string {
  const file = join(work, `dev-${loops.length}.bin`);
  execFileSync("truncate", ["-s", `${sizeMiB}M`, file]);
  if (partitioned) execFileSync("sfdisk", ["-q", file], { input: "label: gpt\nstart=1M, size=30M, name=data\n" });
  const dev = execFileSync("losetup", ["-f", "--show", ...(partitioned ? ["-P"] : []), file], { encoding: "utf8" }).trim();
  loops.push(dev);
  // The partition scan of losetup -P can lag; partx adds the partitions when it has not happened yet.
  if (partitioned && !existsSync(`/sys/class/block/${dev.replace("/dev/", "")}p1`)) spawnSync("partx", ["-a", dev]);
  return dev;
}

/** The first partition's node: /dev/loopNp1 when udev made it, else a node of our own from sysfs. */
function part1(dev: string): string {
  const name = `${dev.replace("/dev/", "")}p1`;
  if (existsSync(`/dev/${name}`)) return `/dev/${name}`;
  const [major, minor] = readFileSync(`/sys/class/block/${name}/dev`, "utf8").trim().split(":");
  const node = join(work, name);
  execFileSync("mknod", [node, "b", major!, minor!]);
  return node;
}

const sha = (path: string, bytes: number) => {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(bytes);
    readSync(fd, b, 0, bytes, 0);
    return createHash("sha256").update(b).digest("hex");
  } finally {
    closeSync(fd);
  }
};
const flash = (args: string[]) => spawnSync(process.execPath, [CLI, "flash", ...args], { encoding: "utf8", timeout: 120_000, input: "" });

beforeAll(() => {
  image = join(work, "atomicnix-test.img");
  execFileSync("truncate", ["-s", "25M", image]);
  execFileSync("sfdisk", ["-q", image], { input: "label: gpt\nstart=16M, size=4M, name=boot-a\nstart=20M, size=4M, name=rootfs-a\n" });
  // Random bytes in the raw region (where U-Boot sits) and in both partitions.
  execFileSync("sh", ["-c", `for at in 1 16 20; do head -c 1048576 /dev/urandom | dd of=${image} bs=1M seek=$at conv=notrunc status=none; done`]);
}, 60_000);

afterAll(() => {
  for (const m of mounts.reverse()) spawnSync("umount", [m]);
  for (const l of loops) spawnSync("losetup", ["-d", l]);
  rmSync(work, { recursive: true, force: true });
});

scenario("op.flash.refused", { ...onHost, timeout: 180_000 }, () => {
  const imageBytes = statSync(image).size;
  const cases: { args: string[]; reason: RegExp; dev: string }[] = [];
  const plain = loop(32);
  cases.push({ args: [image, plain, "--yes"], reason: /not a removable disk/, dev: plain });
  cases.push({ args: [image, plain, "--force"], reason: /not a terminal: give --yes/, dev: plain });
  const small = loop(8);
  cases.push({ args: [image, small, "--yes", "--force"], reason: /less than the image/, dev: small });
  const parted = loop(40, true);
  cases.push({ args: [image, part1(parted), "--yes"], reason: /is a partition of/, dev: parted });
  const mounted = loop(40, true);
  const mountedPart = part1(mounted);
  // ext4: every Linux kernel mounts it (vfat may be a module the host lacks).
  execFileSync("mkfs.ext4", ["-q", "-F", mountedPart], { stdio: "pipe" });
  const mp = join(work, "mnt");
  mkdirSync(mp);
  execFileSync("mount", [mountedPart, mp]);
  mounts.push(mp);
  cases.push({ args: [image, mounted, "--yes"], reason: new RegExp(`in use \\(${mp}`), dev: mounted });
  // The disk holding / on this machine, when / is on a block device; a container root is not, and then the
  // same rule is checked on the kernel's description of a disk that holds "/".
  const root = execFileSync("findmnt", ["-n", "-o", "SOURCE", "/"], { encoding: "utf8" }).trim();
  let rootDisk: string | undefined;
  try {
    if (statSync(root).isBlockDevice()) rootDisk = `/dev/${inspectTarget(root).disk}`;
  } catch {
    rootDisk = undefined;
  }
  if (rootDisk) cases.push({ args: [image, rootDisk, "--yes", "--force"], reason: /holds the running system \(.*\/.*\); refusing even with --force/, dev: rootDisk });
  else expect(refusal({ ...inspectTarget(plain), system: ["/"] }, imageBytes, true)).toMatch(/holds the running system/);
  console.log(`flash refusals: ${cases.length} real targets${rootDisk ? ` (root disk ${rootDisk})` : " (no block-device root here: the root rule checked on a described target)"}`);

  for (const c of cases) {
    // The system disk may not even be readable from here (a VM's /dev/vda in a container): then only the refusal is checked.
    const digest = () => {
      try {
        return sha(c.dev, Math.min(imageBytes, inspectTarget(c.dev).sizeBytes));
      } catch (e) {
        if (c.dev === rootDisk && (e as NodeJS.ErrnoException).code === "EPERM") return "unreadable";
        throw e;
      }
    };
    const before = digest();
    const r = flash(c.args);
    expect(r.status, `${c.args.join(" ")}: ${r.stderr}`).toBe(1);
    expect(r.stderr, c.args.join(" ")).toMatch(c.reason);
    expect(digest(), `${c.dev} unchanged`).toBe(before);
  }
});

scenario("op.flash.written", { ...onHost, timeout: 180_000 }, () => {
  const dev = loop(40);
  const r = flash([image, dev, "--yes", "--force", "--json"]);
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  const bytes = statSync(image).size;
  expect(sha(dev, bytes)).toBe(sha(image, bytes));
  expect(out.verified).toBe(true);
  expect(out.sha256).toBe(sha(image, bytes));
  expect(out.layout.scheme).toBe("gpt");
  expect(out.layout.partitions.map((p: { name: string; startBytes: number; sizeBytes: number }) => [p.name, p.startBytes / MiB, p.sizeBytes / MiB])).toEqual([
    ["boot-a", 16, 4],
    ["rootfs-a", 20, 4],
  ]);
  expect(r.stderr).toMatch(/wrote 25 MiB of 25 MiB \(100%/);
  expect(r.stderr).toMatch(/verified 25 MiB of 25 MiB \(100%/);
  console.log(`flash: ${bytes} bytes written and verified in ${out.seconds.toFixed(2)} s`);
});
