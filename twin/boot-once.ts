/**
 * Boots the last built twin once in QEMU, as a fresh flash, to multi-user.target and
 * prints what the device reports: a smoke check for an architecture the suites do not
 * run by default (the pointer is picked by ATOMICNIX_TWIN_ARCH, as in twin/locate.ts).
 *   ATOMICNIX_TWIN_ARCH=arm64 npx tsx twin/boot-once.ts [--keep DIR]
 * Before starting QEMU it waits (up to 20 min) until fewer than two QEMU guests run:
 * the machine has two cores and TCG guests sharing them only slow each other down.
 * Exits 1 when the boot fails or the guest's architecture is not the build's.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "../conformance/targets/driver.js";
import { VmTarget } from "../conformance/targets/vm/vm.js";
import { locateTwin } from "./locate.js";

const UNAME: Record<string, string> = { amd64: "x86_64", arm64: "aarch64" };

function qemuGuests(): number {
  try {
    return Number(execFileSync("pgrep", ["-c", "qemu-system"], { encoding: "utf8" }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

async function waitForCores(maxMs = 20 * 60_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (let n = qemuGuests(); n >= 2; n = qemuGuests()) {
    if (Date.now() > deadline) throw new Error(`${n} QEMU guests still running after ${maxMs / 60_000} min`);
    console.log(`${n} QEMU guests running; waiting 60 s`);
    await sleep(60_000);
  }
}

const build = locateTwin();
if ("missing" in build) throw new Error(build.missing);
if (!build.image) throw new Error(`twin ${build.arch} was built with --root-only: no image`);
const keep = process.argv.indexOf("--keep");
const workDir = keep > 0 ? process.argv[keep + 1]! : mkdtempSync(join(tmpdir(), `atomicnix-boot-${build.arch}-`));
const vm = new VmTarget({ image: build.image, workDir, imageHash: build.imageSha256, arch: build.arch });
let ok = false;
try {
  await waitForCores();
  console.log(`booting ${build.image} (${build.arch}), console log ${workDir}/serial-1.log`);
  await vm.start();
  const boot = vm.current!;
  console.log(`multi-user.target after ${((boot.multiUserMs ?? 0) / 1000).toFixed(1)} s (slot ${boot.slot}, first boot with repartitioning)`);
  console.log(vm.describe());
  const results: Record<string, string> = {};
  for (const cmd of ["uname -m", "rauc status --output-format=json", "findmnt /", "systemd-analyze time", "systemctl --failed --no-legend"]) {
    const r = await vm.exec(cmd, { timeoutMs: 120_000 });
    results[cmd] = r.stdout.trim();
    console.log(`\n$ ${cmd}  (exit ${r.code})\n${r.stdout.trim()}${r.stderr.trim() ? `\n[stderr] ${r.stderr.trim()}` : ""}`);
  }
  const want = UNAME[build.arch];
  ok = results["uname -m"] === want;
  if (!ok) console.error(`guest reports ${results["uname -m"]}, expected ${want}`);
} catch (e) {
  console.error(e);
  console.error(vm.consoleLog().slice(-4000));
} finally {
  await vm.stop();
  if (keep < 0) rmSync(workDir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
