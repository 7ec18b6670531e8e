import { execFileSync } from "node:child_process";
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TwinBuild } from "../../twin/locate.js";

/**
 * Update bundles for the VM lifecycle, made on the host from the twin's own build
 * outputs with the shared scripts (nix/scripts/), and put in the directory the VM
 * mounts over 9p (`/mnt/host`). Only the deliberately broken bundles are made with
 * `rauc bundle` directly: the shared script refuses to build them.
 */
const repo = join(import.meta.dirname, "..", "..");
const COMPATIBLE = "atomicnix-twin";

export interface Certs {
  signingCert: string;
  signingKey: string;
  ca: string;
}

export function certs(build: TwinBuild, who: "dev" | "foreign"): Certs {
  const dir = build.certs!;
  return { signingCert: join(dir, `${who}.signing.cert.pem`), signingKey: join(dir, `${who}.signing.key.pem`), ca: join(dir, `${who}.ca.cert.pem`) };
}

/** Hard link when possible: the bundles are hundreds of MB. */
export function place(file: string, dir: string, name: string): string {
  const dest = join(dir, name);
  rmSync(dest, { force: true });
  try {
    linkSync(file, dest);
  } catch {
    copyFileSync(file, dest);
  }
  return dest;
}

/** A verity bundle of the given boot and rootfs images, via nix/scripts/build-rauc-bundle.sh. */
export function sharedBundle(out: string, o: { boot: string; rootfs: string; version: string; certs: Certs }): string {
  execFileSync("bash", [join(repo, "nix/scripts/build-rauc-bundle.sh"), out, "--boot-vfat", o.boot, "--rootfs", o.rootfs, "--compatible", COMPATIBLE, "--version", o.version, "--cert", o.certs.signingCert, "--key", o.certs.signingKey], { stdio: ["ignore", "ignore", "pipe"] });
  return out;
}

/** A small `plain`-format bundle signed by the keyring's own signer (the device must refuse the format). */
export function plainBundle(out: string, c: Certs, version: string): string {
  const dir = mkdtempSync(join(out + ".d-"));
  try {
    const content = join(dir, "content");
    mkdirSync(content);
    writeFileSync(join(content, "boot.vfat"), Buffer.alloc(1 << 20, 0x42));
    writeFileSync(join(content, "rootfs.img"), Buffer.alloc(1 << 20, 0x43));
    writeFileSync(join(content, "manifest.raucm"), `[update]\ncompatible=${COMPATIBLE}\nversion=${version}\n\n[bundle]\nformat=plain\n\n[image.boot]\nfilename=boot.vfat\n\n[image.rootfs]\nfilename=rootfs.img\n`);
    rmSync(out, { force: true });
    execFileSync("rauc", ["bundle", `--cert=${c.signingCert}`, `--key=${c.signingKey}`, content, out], { stdio: ["ignore", "ignore", "pipe"] });
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The twin's root with one change that makes its system fail os-verification for
 * real: dnsmasq.service masked, so the gateway check "dnsmasq active" fails on every
 * boot of that slot. Built as an overlay over the cached root (nothing copied),
 * squashed by nix/scripts/build-squashfs.sh like the shipped rootfs.
 */
export function unhealthyRootfs(build: TwinBuild, out: string): string {
  const work = mkdtempSync(join(out + ".d-"));
  const upper = join(work, "upper");
  const merged = join(work, "merged");
  mkdirSync(join(upper, "etc/systemd/system"), { recursive: true });
  mkdirSync(join(work, "work"));
  mkdirSync(merged);
  symlinkSync("/dev/null", join(upper, "etc/systemd/system/dnsmasq.service"));
  execFileSync("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${build.root},upperdir=${upper},workdir=${join(work, "work")}`, merged]);
  try {
    execFileSync("bash", [join(repo, "nix/scripts/build-squashfs.sh"), merged, out, "--level", "3", "--owners", "keep"], { stdio: ["ignore", "ignore", "pipe"] });
  } finally {
    execFileSync("umount", [merged]);
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

/**
 * The twin's boot image with an initrd that cannot start any init: its only file is
 * a non-executable `/init`, so the kernel fails /init and then `init=` and panics
 * before userspace (`panic=10` from boot.cmd resets the machine). What a bundle with a
 * broken kernel or initrd does to a board, without touching the kernel.
 */
export function panickingBoot(build: TwinBuild, out: string): string {
  const work = mkdtempSync(join(out + ".d-"));
  try {
    const tree = join(work, "tree");
    mkdirSync(tree);
    writeFileSync(join(tree, "init"), "not an executable\n", { mode: 0o644 });
    execFileSync("sh", ["-c", `cd ${tree} && echo init | cpio -o -H newc --quiet > ${join(work, "initrd")}`]);
    copyFileSync(build.bootVfat!, out);
    execFileSync("mcopy", ["-o", "-i", out, join(work, "initrd"), "::/initrd"]);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
