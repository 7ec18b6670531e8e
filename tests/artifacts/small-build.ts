/**
 * Builds one small but real set of artifacts with the shared scripts in
 * nix/scripts/ and certs/: a tiny root tree (with an xattr and a non-root owner,
 * so the squashfs options have something to strip), dummy kernel/initrd/DTB and
 * U-Boot loader blobs of realistic sizes. Everything else is the same code path a
 * Nix derivation or the twin build takes.
 */
import { randomBytes } from "node:crypto";
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certGeneratorPath, mustRun, runBuildScript, scriptPath, type ArtifactSet } from "../../conformance/targets/artifacts/index.js";
import { envLocation, partition } from "../../generated/layout/partition-layout.js";

export const VERSION = "25.11.20250101.a1b2c3d";
export const BUILD_ID = "test-build-7f3a";
/** The command line nix/boot-script.nix would pass for a system whose toplevel is /sbin/init's target. */
export const SMALL_KERNEL_PARAMS = "init=/sbin/init console=ttyS2,1500000 earlycon panic=10";
/** Scenario build.image-env.readable's offset: not the virtual targets' own, to show the offset is the caller's. */
export const ENV_OFFSET = 0x3f8000;
export const ENV_SIZE = envLocation("virtual").size;
export const ENV_VARS = { BOOT_ORDER: "A B", BOOT_A_LEFT: "3", BOOT_B_LEFT: "3" };

/** A small build is also an artifact set, plus the inputs it was made from. */
export interface SmallBuild extends ArtifactSet {
  dir: string;
  rootDir: string;
  squashfs: string;
  kernel: string;
  initrd: string;
  dtb: string;
  bootCmdSource: string;
  bootScr: string;
  bootCmdOut: string;
  bootVfat: string;
  bundle: string;
  image: string;
  idbloader: string;
  ubootItb: string;
  certs: { ca: string; signingCert: string; signingKey: string; foreignCa: string };
  /** milliseconds per step, printed by the tests */
  timings: Record<string, number>;
}

/** Runs a build script and throws with its stderr when it fails. */
export function build(script: string, args: string[]): string {
  const r = runBuildScript(scriptPath(script), args);
  if (r.status !== 0) throw new Error(`${script} ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return r.stderr;
}

/** A tiny root tree; with a CA certificate it also gets a RAUC keyring, as the firmware root does. */
export function makeRootTree(dir: string, caCert?: string): string {
  const root = join(dir, "root");
  mkdirSync(join(root, "etc/rauc"), { recursive: true });
  mkdirSync(join(root, "usr/bin"), { recursive: true });
  writeFileSync(join(root, "etc/os-release"), 'ID=atomicnix\nVERSION_ID="25.11"\n');
  writeFileSync(join(root, "etc/rauc/system.conf"), "[system]\ncompatible=rock64\nbootloader=uboot\n\n[keyring]\npath=/etc/rauc/keyring.pem\n");
  if (caCert) copyFileSync(caCert, join(root, "etc/rauc/keyring.pem"));
  writeFileSync(join(root, "usr/bin/tool"), randomBytes(64 * 1024));
  symlinkSync("../usr/bin/tool", join(root, "etc/tool-link"));
  // inputs the squashfs must NOT carry over: a non-root owner and an xattr
  chownSync(join(root, "usr/bin/tool"), 1000, 1000);
  mustRun("setfattr", ["-n", "user.atomicnix", "-v", "test", join(root, "etc/os-release")]);
  return root;
}

export function buildSmall(): SmallBuild {
  const dir = mkdtempSync(join(tmpdir(), "atomicnix-artifacts-"));
  const timings: Record<string, number> = {};
  const timed = <T>(name: string, fn: () => T): T => {
    const t0 = performance.now();
    const v = fn();
    timings[name] = Math.round(performance.now() - t0);
    return v;
  };
  const certDir = join(dir, "certs");
  timed("gen-dev-certs", () => {
    const r = runBuildScript(certGeneratorPath(), [certDir]);
    if (r.status !== 0) throw new Error(`gen-dev-certs.sh exited ${r.status}:\n${r.stderr}`);
  });
  const certs = {
    ca: join(certDir, "dev.ca.cert.pem"),
    signingCert: join(certDir, "dev.signing.cert.pem"),
    signingKey: join(certDir, "dev.signing.key.pem"),
    foreignCa: join(certDir, "foreign.ca.cert.pem"),
  };

  const rootDir = makeRootTree(dir, certs.ca);
  const squashfs = join(dir, "rootfs.squashfs");
  // no --level: the default must be the release level 19 (cheap on a tiny tree)
  timed("build-squashfs", () => build("build-squashfs.sh", [rootDir, squashfs]));

  const blob = (name: string, size: number) => {
    const p = join(dir, name);
    writeFileSync(p, randomBytes(size));
    return p;
  };
  const kernel = blob("Image", 2 * 1024 * 1024);
  const initrd = blob("initrd", 1024 * 1024);
  const dtb = blob("rk3328-rock64.dtb", 48 * 1024);
  const idbloader = blob("idbloader.img", 150 * 1024);
  const ubootItb = blob("u-boot.itb", 900 * 1024);

  const bootCmdSource = scriptPath("boot.cmd");
  const bootScr = join(dir, "boot.scr");
  const bootCmdOut = join(dir, "boot.cmd");
  timed("compile-boot-script", () => build("compile-boot-script.sh", [bootCmdSource, bootScr, "--arch", "arm64", "--build-id", BUILD_ID, "--kernel-params", SMALL_KERNEL_PARAMS, "--cmd-out", bootCmdOut]));

  const bootVfat = join(dir, "boot.vfat");
  timed("build-boot-vfat", () =>
    build("build-boot-vfat.sh", [bootVfat, "--kernel", kernel, "--initrd", initrd, "--dtb", dtb, "--dtb-path", "rockchip/rk3328-rock64.dtb", "--boot-scr", bootScr, "--size-mib", String(partition("boot-a").sizeMiB)]),
  );

  const bundle = join(dir, "rock64.raucb");
  timed("build-rauc-bundle", () =>
    build("build-rauc-bundle.sh", [bundle, "--boot-vfat", bootVfat, "--rootfs", squashfs, "--compatible", "rock64", "--version", VERSION, "--cert", certs.signingCert, "--key", certs.signingKey, "--keyring", certs.ca]),
  );

  const envText = join(dir, "uboot-env.txt");
  writeFileSync(envText, Object.entries(ENV_VARS).map(([k, v]) => `${k}=${v}\n`).join(""));
  const image = join(dir, "atomicnix-25.11.img");
  timed("build-image", () =>
    build("build-image.sh", [image, "--boot-vfat", bootVfat, "--rootfs", squashfs, "--idbloader", idbloader, "--uboot-itb", ubootItb, "--uboot-env", envText, "--env-offset", `0x${ENV_OFFSET.toString(16)}`, "--env-size", `0x${ENV_SIZE.toString(16)}`]),
  );
  return {
    dir, rootDir, squashfs, kernel, initrd, dtb, bootCmdSource, bootScr, bootCmdOut, bootVfat, bundle, image, idbloader, ubootItb, certs, timings,
    bootCmd: bootCmdOut, caCert: certs.ca, signingCert: certs.signingCert, signingKey: certs.signingKey, env: { offset: ENV_OFFSET, size: ENV_SIZE }, version: VERSION, arch: "arm64",
  };
}
