/**
 * Behaviour of the shared build scripts themselves (nix/scripts/, certs/): size
 * limit, key generation, U-Boot env placement. Each test makes its own inputs.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { certGeneratorPath, certPublicKey, inspectSigningCert, readUbootEnv, runBuildScript, scriptPath } from "../../conformance/targets/artifacts/index.js";
import { ENV_OFFSET, ENV_SIZE, ENV_VARS, makeRootTree } from "./small-build.js";
import { LAYOUT } from "../../generated/layout/partition-layout.js";

const MiB = 1024 * 1024;
const onHost = { targets: ["host"] } as const;
const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});
const tempDir = (tag: string) => {
  const d = mkdtempSync(join(tmpdir(), `atomicnix-${tag}-`));
  scratch.push(d);
  return d;
};

scenario("build.squashfs-limit.exceeded", onHost, () => {
  const dir = tempDir("sqlimit");
  const out = join(dir, "rootfs.squashfs");
  // a stale image from an earlier run must not survive a failed build either
  writeFileSync(out, "stale");
  const tree = makeRootTree(tempDir("sqtree"));
  const limit = 4095; // the smallest squashfs file is one 4 KiB-padded block
  const r = runBuildScript(scriptPath("build-squashfs.sh"), [tree, out, "--level", "3", "--max-bytes", String(limit)]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/image is (\d+) bytes, over the limit of 4095 bytes/);
  const size = Number(/image is (\d+) bytes/.exec(r.stderr)![1]);
  expect(size).toBeGreaterThan(limit);
  expect(readdirSync(dir)).toEqual([]);
  // with a limit it fits, the same call succeeds
  const ok = runBuildScript(scriptPath("build-squashfs.sh"), [tree, out, "--level", "3", "--max-bytes", String(size)]);
  expect(ok.status, ok.stderr).toBe(0);
  expect(statSync(out).size).toBe(size);
});

scenario("build.dev-keys.generator", onHost, () => {
  const dirs = [tempDir("certs1"), tempDir("certs2")];
  for (const d of dirs) {
    const r = runBuildScript(certGeneratorPath(), [d]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ["dev.ca.cert.pem", "dev.ca.key.pem", "dev.signing.cert.pem", "dev.signing.key.pem"]) expect(existsSync(join(d, f)), f).toBe(true);
    const check = inspectSigningCert(join(d, "dev.signing.cert.pem"), join(d, "dev.ca.cert.pem"));
    expect(check.verifiesAgainstCa, check.verifyOutput).toBe(true);
    expect(check.hasCodeSigning).toBe(false);
    // private keys are readable by the owner only
    expect(statSync(join(d, "dev.signing.key.pem")).mode & 0o077).toBe(0);
  }
  const [d1, d2] = dirs as [string, string];
  expect(certPublicKey(join(d1, "dev.ca.cert.pem"))).not.toBe(certPublicKey(join(d2, "dev.ca.cert.pem")));
  // fresh material: one run's signer does not chain to the other run's CA
  expect(inspectSigningCert(join(d1, "dev.signing.cert.pem"), join(d2, "dev.ca.cert.pem")).verifiesAgainstCa).toBe(false);
  // and a second run into the same directory refuses to overwrite keys
  const again = runBuildScript(certGeneratorPath(), [d1]);
  expect(again.status).not.toBe(0);
  expect(again.stderr).toMatch(/refusing to overwrite/);
});

scenario("build.image-env.readable", onHost, () => {
  const dir = tempDir("env");
  const file = (name: string, size: number) => {
    const p = join(dir, name);
    writeFileSync(p, randomBytes(size));
    return p;
  };
  // the image script places files; their content does not matter here
  const boot = file("boot.vfat", MiB);
  const rootfs = file("rootfs.squashfs", MiB);
  const idbloader = file("idbloader.img", 150 * 1024);
  const itb = file("u-boot.itb", 900 * 1024);
  const envText = join(dir, "env.txt");
  writeFileSync(envText, Object.entries(ENV_VARS).map(([k, v]) => `${k}=${v}\n`).join(""));
  const args = (out: string, offset: string) => [join(dir, out), "--boot-vfat", boot, "--rootfs", rootfs, "--idbloader", idbloader, "--uboot-itb", itb, "--uboot-env", envText, "--env-offset", offset, "--env-size", `0x${ENV_SIZE.toString(16)}`];

  const ok = runBuildScript(scriptPath("build-image.sh"), args("good.img", "0x3F8000"));
  expect(ok.status, ok.stderr).toBe(0);
  expect(ENV_OFFSET).toBe(0x3f8000);
  expect(readUbootEnv(join(dir, "good.img"), ENV_OFFSET, ENV_SIZE)).toEqual(ENV_VARS);

  const insideItb = runBuildScript(scriptPath("build-image.sh"), args("bad1.img", String(8 * MiB + 4096)));
  expect(insideItb.status).not.toBe(0);
  expect(insideItb.stderr).toMatch(/overlaps u-boot\.itb/);
  const pastRaw = runBuildScript(scriptPath("build-image.sh"), args("bad2.img", String(LAYOUT.rawRegion.endBytes)));
  expect(pastRaw.status).not.toBe(0);
  expect(pastRaw.stderr).toMatch(/runs past the raw region/);
  const inGpt = runBuildScript(scriptPath("build-image.sh"), args("bad3.img", "512"));
  expect(inGpt.status).not.toBe(0);
  expect(inGpt.stderr).toMatch(/overlaps the primary GPT/);
  expect(readdirSync(dir).filter((f) => /^(good|bad\d)\.img/.test(f))).toEqual(["good.img"]);
});
