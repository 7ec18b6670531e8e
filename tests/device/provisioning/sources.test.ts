import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { scenario } from "../../../conformance/binding.js";
import { importFirstSource } from "../../../device/provisioning/first-boot.js";
import { importConfig } from "../../../device/provisioning/import.js";
import { scanMedia } from "../../../device/provisioning/sources.js";
import { configText, makeKeys, onHost, packBundle, rawTree, scratch, writeTree } from "./helpers.js";

let dir: string;
let key: string;
const loops: string[] = [];
const mounts: string[] = [];

beforeAll(() => {
  dir = scratch("prov-sources-");
  key = makeKeys(dir).ed25519;
});
afterAll(() => {
  for (const m of mounts.reverse()) spawnSync("umount", [m]);
  for (const l of loops) spawnSync("losetup", ["-d", l]);
  rmSync(dir, { recursive: true, force: true });
});

function prefixDir(name: string, files: Record<string, string>): string {
  const p = join(dir, name);
  writeTree(p, files);
  return p;
}

scenario("prov.sources.order", onHost, async () => {
  const valid = configText(key);
  const other = configText(key, { firewall: "[firewall.inbound]\ntcp = [22]" });
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);

  // Sentinel: nothing is imported, even with a fresh-flash seed present.
  const p1 = prefixDir("p1", { "data/.completed_first_boot": "", "run/atomicnix/fresh-flash": "", "boot/config.toml": other });
  await importConfig({ bytes: Buffer.from(valid) }, join(p1, "data/config"));
  const before1 = rawTree(join(p1, "data"));
  expect(await importFirstSource({ prefix: p1, log })).toBe("sentinel");
  expect(rawTree(join(p1, "data"))).toEqual(before1);

  // A valid stored configuration is reused, not replaced by the seed.
  const p2 = prefixDir("p2", { "run/atomicnix/fresh-flash": "", "boot/config.toml": other });
  await importConfig({ bytes: Buffer.from(valid) }, join(p2, "data/config"));
  const before2 = rawTree(join(p2, "data"));
  expect(await importFirstSource({ prefix: p2, log })).toBe("stored");
  expect(rawTree(join(p2, "data"))).toEqual(before2);

  // An invalid seed is logged with its errors and skipped.
  logs.length = 0;
  const p3 = prefixDir("p3", { "run/atomicnix/fresh-flash": "", "boot/config.toml": configText(key, { version: "2" }) });
  expect(await importFirstSource({ prefix: p3, log })).toBe("none");
  expect(logs.some((l) => l.includes("/boot/config.toml") && l.includes("version: "))).toBe(true);
  expect(() => readFileSync(join(p3, "data/config/config.toml"))).toThrow();

  // A valid seed on a fresh flash is imported byte for byte.
  const p4 = prefixDir("p4", { "run/atomicnix/fresh-flash": "", "boot/config.toml": other });
  expect(await importFirstSource({ prefix: p4, log })).toBe("imported");
  expect(readFileSync(join(p4, "data/config/config.toml"), "utf8")).toBe(other);

  // Without the marker the seed is never replayed.
  logs.length = 0;
  const p5 = prefixDir("p5", { "boot/config.toml": other });
  expect(await importFirstSource({ prefix: p5, log })).toBe("none");
  expect(() => readFileSync(join(p5, "data/config/config.toml"))).toThrow();
  expect(logs.some((l) => l.includes("not a fresh flash"))).toBe(true);
});

function losetup(file: string, offsetMiB: number, sizeMiB: number): string {
  const l = execFileSync("losetup", ["--show", "-f", "-o", String(offsetMiB << 20), "--sizelimit", String(sizeMiB << 20), file], { encoding: "utf8" }).trim();
  loops.push(l);
  return l;
}

function ext4Image(name: string, files: Record<string, string | Buffer>): string {
  const src = join(dir, `${name}-src`);
  mkdirSync(src, { recursive: true });
  writeTree(src, files);
  const img = join(dir, `${name}.img`);
  writeFileSync(img, "");
  truncateSync(img, 8 << 20);
  execFileSync("mkfs.ext4", ["-q", "-F", "-L", name, "-d", src, img]);
  return img;
}

const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

scenario("prov.media-scan.loop-devices", { targets: ["host"], timeout: 60_000 }, async ({ context }) => {
  const probe = spawnSync("losetup", ["-f"], { encoding: "utf8" });
  if (probe.status !== 0) return context.skip(`no loop devices available: ${probe.stderr.trim()}`);
  const prefix = join(dir, "media");
  // The system disk: one image, two partition views; boot-a is mounted as /boot.
  const disk = join(dir, "disk.img");
  writeFileSync(disk, "");
  truncateSync(disk, 40 << 20);
  const bootA = losetup(disk, 1, 16);
  const bootB = losetup(disk, 17, 16);
  const valid = configText(key);
  for (const [dev, label] of [[bootA, "boot-a"], [bootB, "BOOT-B"]] as const) {
    const src = join(dir, `${label}-src`);
    writeTree(src, { "config.toml": valid });
    execFileSync("mkfs.ext4", ["-q", "-F", "-L", label, "-d", src, dev]);
  }
  mkdirSync(join(prefix, "boot"), { recursive: true });
  execFileSync("mount", ["-o", "ro", bootA, join(prefix, "boot")]);
  mounts.push(join(prefix, "boot"));

  const seedB = join(dir, "seed-b");
  writeTree(seedB, { "config.toml": configText(key, { firewall: "[firewall.inbound]\ntcp = [7000]" }) });
  const zst = packBundle(seedB, ["config.toml"], join(dir, "seed.tar.zst"), "zstd");
  const media = {
    "MEDIA-1": ext4Image("m1", { "sub/config.toml": valid }),
    "MEDIA-2": ext4Image("m2", { "config.tar.zst": zst, "config.toml": readFileSync(join(seedB, "config.toml")) }),
    "MEDIA-3": ext4Image("m3", { "config.toml": valid }),
  };
  const hashes = Object.fromEntries(Object.entries(media).map(([k, img]) => [k, sha(img)]));
  const byLabel = join(prefix, "dev/disk/by-label");
  mkdirSync(byLabel, { recursive: true });
  mkdirSync(join(prefix, "dev/disk/by-partlabel"), { recursive: true });
  symlinkSync(bootB, join(byLabel, "BOOT-B"));
  symlinkSync(bootA, join(byLabel, "boot-a"));
  for (const [label, img] of Object.entries(media)) symlinkSync(losetup(img, 0, 8), join(byLabel, label));
  // The same medium again under by-partlabel is tried once only.
  symlinkSync(join("..", "by-label", "MEDIA-3"), join(prefix, "dev/disk/by-partlabel", "media3"));

  const logs: string[] = [];
  const found = [...scanMedia({ prefix, log: (l) => logs.push(l), mediaFsType: "ext4" })];
  expect(found.map((f) => f.origin)).toEqual([`${byLabel}/MEDIA-2:config.toml`, `${byLabel}/MEDIA-3:config.toml`]);
  expect(Buffer.from(found[0]!.bytes).toString()).toBe(readFileSync(join(seedB, "config.toml"), "utf8"));
  expect(logs.filter((l) => l.includes("partition of the system disk")).map((l) => l.split(" ")[0])).toEqual([`${byLabel}/BOOT-B`, `${byLabel}/boot-a`]);
  expect(logs.some((l) => l.startsWith(`${byLabel}/MEDIA-1`) && l.includes("no top-level"))).toBe(true);
  const mountinfo = readFileSync("/proc/self/mountinfo", "utf8");
  expect(mountinfo).not.toContain("atomicnix-seed-");
  expect(mountinfo.split("\n").filter((l) => l.includes(bootB.replace("/dev/", "")) || l.includes(` ${prefix}/`)).filter((l) => !l.includes(`${prefix}/boot `))).toEqual([]);
  // Read-only mounts leave every medium bit for bit as it was (ext4 rw would stamp its superblock).
  for (const [k, img] of Object.entries(media)) expect(sha(img), k).toBe(hashes[k]);
});
