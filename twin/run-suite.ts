/**
 * One command for the twin suites: builds each twin it needs if its inputs changed
 * (twin/build.sh, cached), then runs two lanes side by side, printing the time of each
 * step. The amd64 lane runs tests/artifacts (ATOMICNIX_TARGET=artifacts, the build's
 * artifact set), then tests/twin with ATOMICNIX_TARGET=container and with
 * ATOMICNIX_TARGET=vm (the lifecycle); the arm64 lane runs, on the arm64 twin booted by
 * its U-Boot, the bootloader suite tests/twin/uboot.test.ts (ATOMICNIX_TARGET=vm). The
 * arm64 lane's lines are prefixed with "[arm64] ".
 *   npx tsx twin/run-suite.ts [--container-only] [--vm-only] [--uboot-only] [--artifacts-only]
 */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { readRuns } from "../conformance/results/store.js";
import { describeArtifactSet, loadArtifactSet } from "../conformance/targets/artifacts/index.js";
import { qemuMachine } from "../conformance/targets/vm/machine.js";
import { UBOOT_VM_ARCH } from "../conformance/targets/vm/uboot-vm.js";
import { locateTwin, type TwinBuild } from "./locate.js";

const repo = join(import.meta.dirname, "..");
const args = new Set(process.argv.slice(2));
const timings: [string, number][] = [];
const started = Date.now();
/** Runs one step of a lane; a prefixed lane's output is relayed line by line so the two lanes stay readable. */
async function step(name: string, argv: string[], env: NodeJS.ProcessEnv = {}, prefix = ""): Promise<number> {
  const t0 = Date.now();
  const say = (line: string) => console.log(`${prefix}${line}`);
  say("");
  say(`== ${name}: ${argv.join(" ")}`);
  const child = spawn(argv[0]!, argv.slice(1), { cwd: repo, stdio: prefix ? ["ignore", "pipe", "pipe"] : "inherit", env: { ...process.env, ...env } });
  if (prefix) for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on("line", say);
  const status = await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  timings.push([name, Date.now() - t0]);
  return status;
}
const only = ["--container-only", "--vm-only", "--uboot-only", "--artifacts-only"].filter((a) => args.has(a));
if (only.length > 1) throw new Error(`choose at most one of ${only.join(", ")}`);
const runs = (suite: string) => only.length === 0 || only[0] === `--${suite}-only`;
// The container, the artifact set and the VM lifecycle run on the amd64 twin (nspawn
// runs the host's architecture; the lifecycle has not yet run green through U-Boot,
// docs/decisions/0007); the bootloader suite runs on the arm64 twin, booted by its
// U-Boot as a Rock64 is. The two lanes run at once: each TCG guest spends much of its
// time waiting (sleep-based health windows, watchdog timeouts, the host hashing
// partitions or packing bundles), which the other lane's guest fills.
const AMD64 = "amd64";
async function built(arch: string, prefix = ""): Promise<TwinBuild | undefined> {
  if ((await step(`build twin ${arch}`, ["bash", "twin/build.sh", "--arch", arch], {}, prefix)) !== 0) return undefined;
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
/**
 * Time per scenario of the newest run on `kind` and `arch` that this invocation started,
 * from its evidence (the benchmark figures of the suite); a lane that never ran its suite
 * prints nothing rather than an earlier run's figures.
 */
function scenarioTimes(kind: string, arch: string): void {
  const since = new Date(started).toISOString();
  const run = readRuns().filter((r) => r.start.meta.target === kind && r.start.meta.targetInfo.arch === arch && r.start.meta.startedAt >= since).at(-1);
  if (!run) return;
  const ran = run.tests.filter((t) => t.state !== "skipped");
  const total = ran.reduce((sum, t) => sum + t.durationMs, 0);
  console.log(`\n== ${kind} (${arch}): ${ran.length} scenario(s) ran, ${(total / 1000).toFixed(1)} s in tests (evidence ${run.dir})`);
  for (const t of ran) console.log(`  ${t.state.padEnd(7)} ${(t.durationMs / 1000).toFixed(1).padStart(7)} s  ${t.scenario ?? t.name}`);
}

async function amd64Lane(): Promise<number> {
  const twin = await built(AMD64);
  if (!twin) return 1;
  let failed = 0;
  // The artifact set of this very build (twin/build.sh writes <stage>/artifacts.json);
  // its evidence names the image and bundle it inspected (describeArtifactSet).
  if (runs("artifacts")) {
    if (!twin.artifacts) throw new Error(`the twin build records no artifact set directory (current-${twin.arch}.json has no "artifacts"); rebuild with twin/build.sh`);
    const described = await describeArtifactSet(loadArtifactSet(twin.artifacts));
    failed |= await step("artifacts suite", ["npx", "vitest", "run", "tests/artifacts"], {
      ATOMICNIX_TARGET: "artifacts",
      ATOMICNIX_TWIN_ARCH: twin.arch,
      ATOMICNIX_ARTIFACTS_DIR: twin.artifacts,
      ATOMICNIX_IMAGE_HASH: described.imageHash,
      ATOMICNIX_TARGET_INFO: JSON.stringify({ ...described.targetInfo, twinKey: twin.key }),
    });
  }
  if (runs("container")) failed |= await step("container suite", ["npx", "vitest", "run", "tests/twin"], meta("container", twin));
  // One QEMU guest per lane: the lifecycle's scenarios share one device, in order.
  if (runs("vm")) failed |= await step("vm suite", ["npx", "vitest", "run", "tests/twin", "--no-file-parallelism"], meta("vm", twin, { qemu: qemuVersionOf(AMD64), boot: "driver bootmeth" }));
  return failed;
}

async function ubootLane(): Promise<number> {
  const prefix = only.length ? "" : `[${UBOOT_VM_ARCH}] `;
  const twin = await built(UBOOT_VM_ARCH, prefix);
  if (!twin) return 1;
  return step("u-boot vm suite", ["npx", "vitest", "run", "tests/twin/uboot.test.ts"], meta("vm", twin, { qemu: qemuVersionOf(UBOOT_VM_ARCH), boot: "u-boot" }), prefix);
}

const lanes: Promise<number>[] = [];
if (runs("artifacts") || runs("container") || runs("vm")) lanes.push(amd64Lane());
if (runs("uboot")) lanes.push(ubootLane());
const failed = (await Promise.all(lanes)).some((status) => status !== 0);
if (runs("artifacts")) scenarioTimes("artifacts", AMD64);
if (runs("container")) scenarioTimes("container", AMD64);
if (runs("vm")) scenarioTimes("vm", AMD64);
if (runs("uboot")) scenarioTimes("vm", UBOOT_VM_ARCH);
console.log(`\n== timings (the two lanes overlap; ${((Date.now() - started) / 1000).toFixed(1)} s in all)`);
for (const [name, ms] of timings) console.log(`${name.padEnd(18)} ${(ms / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);

function qemuVersionOf(arch: string): string {
  return spawnSync(qemuMachine(arch).binary, ["--version"], { encoding: "utf8" }).stdout.split("\n")[0] ?? "";
}
