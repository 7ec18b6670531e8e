/**
 * One command for the twin suites: builds each twin it needs if its inputs changed
 * (twin/build.sh, cached), then runs on the amd64 twin tests/artifacts
 * (ATOMICNIX_TARGET=artifacts, the build's artifact set), tests/twin with
 * ATOMICNIX_TARGET=container and with ATOMICNIX_TARGET=vm (the lifecycle), and on the
 * arm64 twin, booted by its U-Boot, the bootloader suite tests/twin/uboot.test.ts
 * (ATOMICNIX_TARGET=vm), printing the time of each step.
 *   npx tsx twin/run-suite.ts [--container-only] [--vm-only] [--uboot-only] [--artifacts-only]
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { readRuns } from "../conformance/results/store.js";
import { describeArtifactSet, loadArtifactSet } from "../conformance/targets/artifacts/index.js";
import { qemuMachine } from "../conformance/targets/vm/machine.js";
import { UBOOT_VM_ARCH } from "../conformance/targets/vm/uboot-vm.js";
import { locateTwin, type TwinBuild } from "./locate.js";

const repo = join(import.meta.dirname, "..");
const args = new Set(process.argv.slice(2));
const timings: [string, number][] = [];
function step(name: string, argv: string[], env: NodeJS.ProcessEnv = {}): number {
  const t0 = Date.now();
  console.log(`\n== ${name}: ${argv.join(" ")}`);
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: repo, stdio: "inherit", env: { ...process.env, ...env } });
  timings.push([name, Date.now() - t0]);
  return r.status ?? 1;
}
const only = ["--container-only", "--vm-only", "--uboot-only", "--artifacts-only"].filter((a) => args.has(a));
if (only.length > 1) throw new Error(`choose at most one of ${only.join(", ")}`);
const runs = (suite: string) => only.length === 0 || only[0] === `--${suite}-only`;
// The container, the artifact set and the VM lifecycle run on the amd64 twin (nspawn
// runs the host's architecture; the lifecycle has not yet run green through U-Boot,
// docs/decisions/0007); the bootloader suite runs on the arm64 twin, booted by its
// U-Boot as a Rock64 is.
const AMD64 = "amd64";
function built(arch: string): TwinBuild {
  if (step(`build twin ${arch}`, ["bash", "twin/build.sh", "--arch", arch]) !== 0) process.exit(1);
  const twin = locateTwin(arch);
  if ("missing" in twin) throw new Error(twin.missing);
  return twin;
}
// What the runs are about goes into their evidence metadata (image hash, target facts).
const meta = (kind: string, twin: TwinBuild, extra: Record<string, string> = {}) => ({
  ATOMICNIX_TARGET: kind,
  ATOMICNIX_TWIN_ARCH: twin.arch,
  ATOMICNIX_IMAGE_HASH: twin.imageSha256 ? `sha256:${twin.imageSha256}` : "",
  ATOMICNIX_TARGET_INFO: JSON.stringify({ kind, arch: twin.arch, twinKey: twin.key, ...extra }),
});
/** Time per scenario of the newest run on `kind`, from its evidence (the benchmark figures of the suite). */
function scenarioTimes(kind: string): void {
  const run = readRuns().filter((r) => r.start.meta.target === kind).at(-1);
  if (!run) return;
  const ran = run.tests.filter((t) => t.state !== "skipped");
  const total = ran.reduce((sum, t) => sum + t.durationMs, 0);
  console.log(`\n== ${kind}: ${ran.length} scenario(s) ran, ${(total / 1000).toFixed(1)} s in tests (evidence ${run.dir})`);
  for (const t of ran) console.log(`  ${t.state.padEnd(7)} ${(t.durationMs / 1000).toFixed(1).padStart(7)} s  ${t.scenario ?? t.name}`);
}
let failed = 0;
if (runs("artifacts") || runs("container") || runs("vm")) {
  const twin = built(AMD64);
  // The artifact set of this very build (twin/build.sh writes <stage>/artifacts.json);
  // its evidence names the image and bundle it inspected (describeArtifactSet).
  if (runs("artifacts")) {
    if (!twin.artifacts) throw new Error(`the twin build records no artifact set directory (current-${twin.arch}.json has no "artifacts"); rebuild with twin/build.sh`);
    const described = await describeArtifactSet(loadArtifactSet(twin.artifacts));
    failed |= step("artifacts suite", ["npx", "vitest", "run", "tests/artifacts"], {
      ATOMICNIX_TARGET: "artifacts",
      ATOMICNIX_TWIN_ARCH: twin.arch,
      ATOMICNIX_ARTIFACTS_DIR: twin.artifacts,
      ATOMICNIX_IMAGE_HASH: described.imageHash,
      ATOMICNIX_TARGET_INFO: JSON.stringify({ ...described.targetInfo, twinKey: twin.key }),
    });
    scenarioTimes("artifacts");
  }
  if (runs("container")) {
    failed |= step("container suite", ["npx", "vitest", "run", "tests/twin"], meta("container", twin));
    scenarioTimes("container");
  }
  // One QEMU guest at a time: two TCG guests on two cores would only slow each other down.
  if (runs("vm")) {
    failed |= step("vm suite", ["npx", "vitest", "run", "tests/twin", "--no-file-parallelism"], meta("vm", twin, { qemu: qemuVersionOf(AMD64), boot: "driver bootmeth" }));
    scenarioTimes("vm");
  }
}
if (runs("uboot")) {
  const twin = built(UBOOT_VM_ARCH);
  failed |= step("u-boot vm suite", ["npx", "vitest", "run", "tests/twin/uboot.test.ts"], meta("vm", twin, { qemu: qemuVersionOf(UBOOT_VM_ARCH), boot: "u-boot" }));
  scenarioTimes("vm");
}
console.log("\n== timings");
for (const [name, ms] of timings) console.log(`${name.padEnd(18)} ${(ms / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);

function qemuVersionOf(arch: string): string {
  return spawnSync(qemuMachine(arch).binary, ["--version"], { encoding: "utf8" }).stdout.split("\n")[0] ?? "";
}
