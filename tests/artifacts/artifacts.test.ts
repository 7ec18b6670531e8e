/**
 * Artifact-level scenarios, checked with the `artifacts` target's inspectors.
 * On the host target the suite builds a small but real set with the shared
 * scripts (tests/artifacts/small-build.ts); on the `artifacts` target it inspects
 * the set a real build describes in $ATOMICNIX_ARTIFACTS_DIR/artifacts.json.
 * Checks against the small build's own inputs (kernel bytes, xattr input) run
 * only when those inputs are known. A twin build's set (artifacts.json `"twin": true`)
 * shares the scripts but not the Rock64 release values (squashfs level 19, compatible
 * `rock64`, the Rock64 boot files and file name): every check it can have runs, then
 * the scenario is declared not runnable there, so the gate keeps it unproven.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, type TestContext } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { currentTarget } from "../../conformance/targets.js";
import {
  certGeneratorPath,
  checkRawBlobs,
  extractBundle,
  inspectBootScript,
  inspectBundle,
  inspectDiskLayout,
  inspectSigningCert,
  inspectSquashfs,
  listSquashfs,
  listVfatFiles,
  loadArtifactSet,
  readVfatFile,
  runBuildScript,
  runInQemuUboot,
  extractSquashfs,
  parseIni,
  pemCertificates,
  privateKeyNeedles,
  mustRun,
  holdsNeedle,
  readSquashfsFile,
  scanFileForKeys,
  scanTreeForKeys,
  verifyBundleSignature,
  type ArtifactSet,
} from "../../conformance/targets/artifacts/index.js";
import { build, buildSmall, type SmallBuild } from "./small-build.js";
import { LAYOUT, partition } from "../../generated/layout/partition-layout.js";

const MiB = 1024 * 1024;
const SECTOR = 512;
const onArtifacts = { targets: ["host", "artifacts"] } as const;

let set: ArtifactSet;
/** set only when this run built the artifacts itself */
let small: SmallBuild | undefined;
let work = "";
let extracted = "";
let foreignCa = "";

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "atomicnix-artifact-checks-"));
  if (currentTarget() === "artifacts") {
    set = loadArtifactSet();
  } else {
    small = buildSmall();
    set = small;
    // printed, never asserted (timing goals live in bench/)
    console.log(`artifacts: small build steps (ms) ${JSON.stringify(small.timings)}`);
  }
  extracted = join(work, "bundle");
  extractBundle(set.bundle, set.caCert, extracted);
  // an unrelated CA, fresh for every run, for the negative signature check
  const foreign = join(work, "foreign");
  const r = runBuildScript(certGeneratorPath(), [foreign, "--no-foreign"]);
  if (r.status !== 0) throw new Error(`gen-dev-certs.sh failed:\n${r.stderr}`);
  foreignCa = join(foreign, "dev.ca.cert.pem");
}, 120_000);

// removing an extracted full root (the twin's) takes longer than the default 10 s
afterAll(() => {
  if (small) rmSync(small.dir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

/** Declares the rest of a scenario not runnable on a twin set: `fact` is the Rock64 release value it lacks by design. */
function rock64ReleaseOnly(context: TestContext, fact: string): void {
  if (set.twin) context.skip(`not runnable on the twin's artifact set (${set.arch ?? "unknown arch"}): ${fact}`);
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

scenario("build.squashfs.parameters", onArtifacts, ({ context }) => {
  const sq = inspectSquashfs(set.squashfs);
  expect(sq.compression).toBe("zstd");
  expect(sq.blockSize).toBe(1048576);
  expect(sq.xattrs).toBe(false);
  const entries = listSquashfs(set.squashfs);
  rock64ReleaseOnly(
    context,
    `the release level is 19 with every owner 0/0; the twin builds at its quick level ${sq.compressionLevel} (ATOMICNIX_TWIN_SQUASHFS_LEVEL) and keeps its Debian owners (build-squashfs.sh --owners keep)`,
  );
  expect(sq.compressionLevel).toBe(19);
  expect(entries.filter((e) => e.uid !== 0 || e.gid !== 0)).toEqual([]);
  if (small) {
    // the input really had what the options must strip: a non-root owner and an xattr
    expect(statSync(join(small.rootDir, "usr/bin/tool")).uid).toBe(1000);
    expect(entries.map((e) => e.path)).toEqual(expect.arrayContaining(["/", "/etc/os-release", "/usr/bin/tool", "/etc/tool-link"]));
    // the level is an argument: a quick test build at level 3 says so in its superblock
    const out = join(work, "rootfs-level3.squashfs");
    build("build-squashfs.sh", [small.rootDir, out, "--level", "3"]);
    const quick = inspectSquashfs(out);
    expect([quick.compression, quick.compressionLevel, quick.blockSize, quick.xattrs]).toEqual(["zstd", 3, 1048576, false]);
  }
});

scenario("build.boot-script.header", onArtifacts, ({ context }) => {
  const scr = inspectBootScript(set.bootScr);
  expect(scr.type).toBe("Script");
  expect(scr.compression).toBe("uncompressed");
  for (const needle of ["root=fstab", "rauc.slot=", "atomicnix.lowerdev=", "booti"]) expect(scr.payload).toContain(needle);
  expect(scr.payload).not.toContain("@buildId@");
  // the shipped boot.cmd is nix/scripts/boot.cmd with only the build ID and the kernel
  // parameters (init= first) substituted, and is what was compiled
  const buildId = /^echo "AtomicNix build (\S+)"$/m.exec(scr.payload)?.[1];
  expect(buildId, "boot.scr echoes the build ID").toBeTruthy();
  const kernelParams = /^setenv atomicnix_kernel_params "([^"]*)"$/m.exec(scr.payload)?.[1];
  expect(kernelParams, "boot.scr sets the kernel parameters").toMatch(/^init=\S+/);
  const source = readFileSync(new URL("../../nix/scripts/boot.cmd", import.meta.url), "utf8");
  const shipped = readFileSync(set.bootCmd, "utf8");
  expect(source).toContain("@buildId@");
  expect(source).toContain("@kernelParams@");
  expect(shipped).toBe(source.replaceAll("@buildId@", buildId!).replaceAll("@kernelParams@", kernelParams!));
  expect(scr.payload).toBe(shipped);
  // the amd64 twin boots with QEMU -kernel: its boot.scr is compiled for x86_64 and never run
  if (set.twin && set.arch === "amd64") context.skip(`not runnable on the amd64 twin's artifact set: its boot.scr is a ${scr.architecture} script image, the AArch64 header is an arm64 fact`);
  expect(scr.architecture).toBe("AArch64");
});

scenario("rauc.signing-cert.purpose", onArtifacts, () => {
  const check = inspectSigningCert(set.signingCert, set.caCert);
  expect(check.extendedKeyUsage).not.toContain("Code Signing");
  expect(check.verifyOutput).toMatch(/: OK$/m);
  expect(check.verifiesAgainstCa).toBe(true);
});

scenario("part.flash-image.table", onArtifacts, ({ context }) => {
  const disk = inspectDiskLayout(set.image);
  expect(disk.label).toBe("gpt");
  expect(disk.partitions.map(({ number, name, start, size }) => ({ number, name, start, size }))).toEqual([
    ...LAYOUT.partitions.filter((p) => p.createdBy === "image").map((p) => ({ number: p.number, name: p.name, start: p.startSector, size: p.sizeSectors })),
  ]);
  expect(disk.partitions.map((p) => p.name)).toEqual(["boot-a", "rootfs-a"]);
  for (const p of disk.partitions) expect(p.start + p.size).toBeLessThanOrEqual(LAYOUT.imageEnd.sector);
  expect(disk.fileBytes).toBeGreaterThanOrEqual(LAYOUT.imageEnd.bytes);
  // the small image stays sparse: far less allocated than its apparent size
  if (small) expect(disk.allocatedBytes).toBeLessThan(64 * MiB);
  rock64ReleaseOnly(context, `the image is the release file atomicnix-<version>.img; the twin's is ${set.image}`);
  expect(set.image).toMatch(/\/atomicnix-\d+\.\d+\.img$/);
});

scenario("part.gpt-types.image", onArtifacts, () => {
  const byName = Object.fromEntries(inspectDiskLayout(set.image).partitions.map((p) => [p.name, p.type]));
  expect(byName).toEqual({ "boot-a": partition("boot-a").type, "rootfs-a": partition("rootfs-a").type });
});

scenario("part.uboot-raw.offsets", onArtifacts, ({ context }) => {
  if (!set.idbloader || !set.ubootItb) {
    context.skip("this artifact set has no U-Boot loaders (idbloader/ubootItb absent from artifacts.json, e.g. the amd64 twin)");
    return;
  }
  const checks = checkRawBlobs(set.image, [
    { name: "idbloader.img", offset: 64 * SECTOR, file: set.idbloader },
    { name: "u-boot.itb", offset: 16384 * SECTOR, file: set.ubootItb },
  ]);
  expect(checks.map((c) => [c.name, c.offset, c.identical])).toEqual([
    ["idbloader.img", 32768, true],
    ["u-boot.itb", 8388608, true],
  ]);
  for (const c of checks) expect(c.end).toBeLessThanOrEqual(LAYOUT.rawRegion.endBytes);
  // the comparison is not vacuous: the same bytes are not one sector further on
  expect(checkRawBlobs(set.image, [{ name: "shifted", offset: 65 * SECTOR, file: set.idbloader }])[0]!.identical).toBe(false);
});

scenario("part.boot-contents.image-files", onArtifacts, ({ context }) => {
  const bootA = partition("boot-a").startBytes;
  const files = listVfatFiles(set.image, bootA);
  rock64ReleaseOnly(context, `boot-a holds the Rock64 boot files (Image, rockchip/rk3328-rock64.dtb, boot.scr); the twin's holds ${JSON.stringify(files)}`);
  expect(files).toEqual(expect.arrayContaining(["Image", "initrd", "rockchip/rk3328-rock64.dtb", "boot.scr"]));
  const bundleVfat = join(extracted, "boot.vfat");
  expect(statSync(bundleVfat).size).toBe(partition("boot-a").sizeBytes);
  for (const f of ["Image", "initrd", "rockchip/rk3328-rock64.dtb", "boot.scr"]) {
    expect(readVfatFile(set.image, f, bootA).equals(readVfatFile(bundleVfat, f)), f).toBe(true);
  }
  expect(readVfatFile(set.image, "boot.scr", bootA).equals(readFileSync(set.bootScr))).toBe(true);
  // and they are the inputs the boot vfat was built from
  if (small) {
    expect(readVfatFile(set.image, "Image", bootA).equals(readFileSync(small.kernel))).toBe(true);
    expect(readVfatFile(set.image, "rockchip/rk3328-rock64.dtb", bootA).equals(readFileSync(small.dtb))).toBe(true);
  }
});

scenario("rauc.bundle.info", onArtifacts, ({ context }) => {
  const info = inspectBundle(set.bundle, set.caCert);
  expect(info.version).not.toBe("");
  if (set.version) expect(info.version).toBe(set.version);
  expect(info.format).toBe("verity");
  expect(info.images.map((i) => i.slotClass).sort()).toEqual(["boot", "rootfs"]);
  const schema = JSON.parse(readFileSync(new URL("../../generated/schemas/update-response.schema.json", import.meta.url), "utf8")) as {
    properties: { version: { pattern: string } };
  };
  expect(info.version).toMatch(new RegExp(schema.properties.version.pattern));
  const rootfs = info.images.find((i) => i.slotClass === "rootfs")!;
  expect(rootfs.checksum).toBe(sha256(set.squashfs));
  expect(readFileSync(join(extracted, rootfs.filename)).equals(readFileSync(set.squashfs))).toBe(true);
  const boot = info.images.find((i) => i.slotClass === "boot")!;
  expect(boot.size).toBe(partition("boot-a").sizeBytes);
  if (small) expect(boot.checksum).toBe(sha256(small.bootVfat));
  rock64ReleaseOnly(context, `the release bundle is compatible rock64; the twin's is ${info.compatible}`);
  expect(info.compatible).toBe("rock64");
});

scenario("rauc.signature.keyring-check", onArtifacts, () => {
  const good = verifyBundleSignature(set.bundle, set.caCert);
  expect(good.verified, good.message).toBe(true);
  expect(good.message).toMatch(/Verified .*signature by/);
  const foreign = verifyBundleSignature(set.bundle, foreignCa);
  expect(foreign.verified).toBe(false);
  expect(foreign.exitCode).not.toBe(0);
  expect(foreign.message).toMatch(/signature verification failed/i);
});

scenario("boot.script.u-boot-run", { ...onArtifacts, timeout: 90_000 }, async ({ context }) => {
  if (set.twin && set.arch === "amd64") {
    context.skip("not runnable on the amd64 twin's artifact set: it boots with QEMU -kernel, so its boot partition has no boot.scr for U-Boot to run");
  }
  const run = await runInQemuUboot(set.image, { until: /AtomicNix: boot of \S+ failed|SCRIPT FAILED|Starting kernel/, timeoutMs: 60_000 });
  // a real kernel prints "Starting kernel"; the small build's dummy kernel makes booti return
  console.log(`artifacts: boot.scr reached booti in QEMU U-Boot after ${run.elapsedMs} ms`);
  expect(run.matched, `console so far:\n${run.console}`).toBe(true);
  const c = run.console;
  expect(c).toContain("Found U-Boot script /boot.scr");
  expect(c).toMatch(/^AtomicNix build \S+$/m);
  expect(c).not.toMatch(/syntax error/);
  const bootargs = /^AtomicNix: bootargs (.*)$/m.exec(c)?.[1] ?? "";
  const words = bootargs.split(" ");
  expect(words).toEqual(expect.arrayContaining(["root=fstab", "rauc.slot=A"]));
  // virtio device 0 here; slot A's rootfs partition of the boot device
  expect(words).toContain(`atomicnix.lowerdev=/dev/mmcblk0p${LAYOUT.slots.A.rootfs}`);
  // Image and initrd are read (sizes as in boot-a) before booti is called
  const bootA = partition("boot-a").startBytes;
  const reads = [...c.matchAll(/^(\d+) bytes read in/gm)].map((m) => Number(m[1]));
  const kernelSize = readVfatFile(set.image, "Image", bootA).length;
  const initrdSize = readVfatFile(set.image, "initrd", bootA).length;
  expect(reads).toEqual(expect.arrayContaining([kernelSize, initrdSize]));
  const booting = c.indexOf("AtomicNix: booting rauc.slot=A");
  expect(booting).toBeGreaterThan(c.indexOf(`${initrdSize} bytes read in`));
  if (small) {
    // the dummy kernel is refused by booti and the script reports it instead of falling through silently
    expect(c).toContain("Bad Linux ARM64 Image magic!");
    expect(c).toContain("AtomicNix: boot of rauc.slot=A failed");
  }
});

scenario("build.dev-keys.not-shipped", { ...onArtifacts, timeout: 300_000 }, () => {
  if (!set.signingKey) throw new Error("artifacts.json has no signingKey: it is needed to search for the DER form of the signing key");
  const needles = privateKeyNeedles(set.signingKey);
  // the needles work: the key file itself is found
  expect(scanFileForKeys(set.signingKey, needles)).toContain("PEM PRIVATE KEY block");
  const der = join(work, "signing-key.der");
  const pkcs8 = needles.find((n) => n.name === "signing key (PKCS#8 DER)");
  if (!pkcs8 || !("bytes" in pkcs8)) throw new Error("privateKeyNeedles gave no PKCS#8 DER needle");
  writeFileSync(der, Buffer.concat([Buffer.alloc(9 * 1024 * 1024), pkcs8.bytes]));
  expect(scanFileForKeys(der, needles)).toContain("signing key (PKCS#8 DER)");
  // the armour text as OpenSSH's programs carry it (a string constant, no key body) is not a key;
  // the same text followed by a body is, also when it straddles a read chunk
  const constant = join(work, "ssh-like-binary");
  writeFileSync(constant, Buffer.concat([Buffer.alloc(1024, 0x7f), Buffer.from("-----BEGIN OPENSSH PRIVATE KEY-----\0-----END OPENSSH PRIVATE KEY-----\0")]));
  expect(scanFileForKeys(constant, needles)).toEqual([]);
  const straddling = join(work, "embedded-pem");
  writeFileSync(straddling, Buffer.concat([Buffer.alloc(8 * 1024 * 1024 - 20), readFileSync(set.signingKey)]));
  expect(scanFileForKeys(straddling, needles)).toContain("PEM PRIVATE KEY block");
  // inside an ELF program a library's own PEM test key is no key of this build, but this build's key is found there in any form
  const elfBytes = (extra: Buffer) => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(1020), extra]);
  const testKey = mustRun("openssl", ["genpkey", "-algorithm", "ED25519"]);
  const library = join(work, "library-with-test-key.so");
  writeFileSync(library, elfBytes(testKey));
  expect(scanFileForKeys(library, needles)).toEqual([]);
  const program = join(work, "program-with-our-key");
  writeFileSync(program, elfBytes(readFileSync(set.signingKey)));
  expect(scanFileForKeys(program, needles)).toContain("signing key (PEM body)");
  writeFileSync(program, elfBytes(pkcs8.bytes));
  expect(scanFileForKeys(program, needles)).toContain("signing key (PKCS#8 DER)");
  expect(scanFileForKeys(set.image, needles), set.image).toEqual([]);
  expect(scanFileForKeys(set.bundle, needles), set.bundle).toEqual([]);
  const root = join(work, "rootfs-extracted");
  extractSquashfs(set.squashfs, root);
  expect(scanTreeForKeys(root, needles)).toEqual([]);
  // bundle images: the extracted files, and the files inside boot.vfat
  expect(scanTreeForKeys(extracted, needles)).toEqual([]);
  const bootVfat = join(extracted, "boot.vfat");
  for (const f of listVfatFiles(bootVfat)) expect(needles.filter((n) => holdsNeedle(readVfatFile(bootVfat, f), n)).map((n) => n.name), f).toEqual([]);
  // the keyring named by system.conf holds exactly one certificate: the CA
  const conf = parseIni(readSquashfsFile(set.squashfs, "/etc/rauc/system.conf").toString("utf8"));
  const keyringPath = conf.keyring?.path;
  expect(keyringPath, "[keyring] path in /etc/rauc/system.conf").toBeTruthy();
  const certs = pemCertificates(readSquashfsFile(set.squashfs, keyringPath!).toString("utf8"));
  expect(certs).toEqual(pemCertificates(readFileSync(set.caCert, "utf8")));
  expect(certs).toHaveLength(1);
});
