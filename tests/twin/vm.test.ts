import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, test, type TestContext } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { freePort, twinSeed } from "./vm-seed.js";
import { currentTarget } from "../../conformance/targets.js";
import { sleep } from "../../conformance/targets/driver.js";
import { VmTarget, WAN_SERVICE_ADDRESS, type BootRecord } from "../../conformance/targets/vm/vm.js";
import { locateTwin, type TwinBuild } from "../../twin/locate.js";
import { certs, place, plainBundle, sharedBundle, unhealthyRootfs } from "./vm-bundles.js";
import { sshConformanceRun, sshTargetDriver, type SshRig } from "./vm-ssh.js";
import { cmdlineSlot, mountShare, raucStatus, SLOW, verificationSettled } from "./vm-shell.js";

/**
 * The device lifecycle on the QEMU twin, one fresh flash driven through it in order
 * (TCG boots take ~45 s, so the scenarios share the device instead of each flashing
 * its own): first boot with a /boot seed, refused bundles, power cuts during an
 * install, install, watchdog-driven rollback, health-driven rollback, reprovisioning
 * after a /data wipe, and an update from the reference update server. Each test
 * checks its own preconditions, so a failure names the step that broke the chain.
 * Runs only with ATOMICNIX_TARGET=vm (npx tsx twin/run-suite.ts).
 */
const MiB = 1024 * 1024;
const BOOT_B_OFFSET = 1168 * MiB;

interface Lifecycle {
  vm: VmTarget;
  build: TwinBuild;
  scratch: string;
  share: string;
  adminKey: string;
  seed: string;
  updatePort: number;
  consolePort: number;
  /** host port forwarded to the gateway's LAN port 22 (the ssh target's way in) */
  sshPort: number;
  /** SHA-256 of boot-a and rootfs-a when slot A was last known good */
  slotA?: [string, string];
  /** the random value of part.data-persistence.update-rollback */
  testFile?: string;
  /** sfdisk --json and probe content of part.stable-layout.second-boot */
  layout?: string;
  layoutProbe?: string;
  /** what prov.sources.no-replay saw, for the scenarios proven by the same wipe */
  wipe?: { tableBefore: string; tableAfter: string; freshFlashAfter: boolean; statusDir?: { mountedOn: string; raucActive: string; statusCode: number }; post?: { status: number; ok: boolean; completedMs: number } };
}

let life: Lifecycle | undefined;
let starting: Promise<Lifecycle> | undefined;
let updateServer: ChildProcess | undefined;

let failed = false;
afterEach((context) => {
  if (context.task.result?.state === "fail") failed = true;
});
afterAll(async () => {
  updateServer?.kill();
  if (life) {
    await life.vm.stop();
    console.log(`vm twin: ${life.vm.boots.length} boot(s), ${life.vm.emulatorFaults.length} emulator fault(s) repeated\n${life.vm.boots.map(describeBoot).join("\n")}`);
    // after a failure the consoles of every boot stay for the diagnosis (not the 4 GiB disk)
    if (failed) {
      rmSync(life.vm.disk, { force: true });
      console.log(`vm twin: serial consoles of every boot kept in ${join(life.scratch, "vm")}`);
    } else rmSync(life.scratch, { recursive: true, force: true });
  }
}, 60_000);

const t0 = Date.now();
/** Progress in the CI log: the VM suite runs for many minutes. */
function step(text: string): void {
  console.log(`[vm +${((Date.now() - t0) / 1000).toFixed(0)}s] ${text}`);
}

function describeBoot(b: BootRecord): string {
  return `  boot ${b.n}: slot ${b.slot} (tries left ${b.leftBefore} -> ${b.leftBefore - 1}), ${b.multiUserMs === undefined ? "multi-user not awaited" : `multi-user in ${(b.multiUserMs / 1000).toFixed(1)} s`}, ended: ${b.end}`;
}

async function device(context: TestContext): Promise<Lifecycle> {
  if (currentTarget() !== "vm") context.skip("not a vm run");
  const build = locateTwin();
  if ("missing" in build) return context.skip(build.missing) as never;
  if (!build.image || !build.bundle) return context.skip("twin built with --root-only: no image or bundle for the vm target") as never;
  if (!starting) {
    starting = (async () => {
      const scratch = mkdtempSync(join(tmpdir(), "atomicnix-vm-"));
      const share = join(scratch, "share");
      mkdirSync(share);
      place(build.bundle!, share, "twin.raucb");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "admin@vm-test", "-f", join(scratch, "admin")]);
      const adminKey = readFileSync(join(scratch, "admin.pub"), "utf8").trim();
      const seed = twinSeed(adminKey);
      const [updatePort, consolePort, sshPort] = [await freePort(), await freePort(), await freePort()];
      const vm = new VmTarget({
        image: build.image!, workDir: join(scratch, "vm"), imageHash: build.imageSha256, arch: build.arch,
        bootFiles: { "config.toml": seed }, share, lanForwards: { 8080: consolePort, 22: sshPort }, wanServices: { 8080: updatePort }, log: step,
      });
      life = { vm, build, scratch, share, adminKey, seed, updatePort, consolePort, sshPort };
      await vm.start();
      return life;
    })();
  }
  return starting;
}

/** SHA-256 of a file on the host. */
async function fileSha256(path: string, length?: number): Promise<string> {
  const hash = createHash("sha256");
  await new Promise<void>((resolve, reject) => {
    createReadStream(path, { ...(length !== undefined ? { start: 0, end: length - 1 } : {}), highWaterMark: 4 * MiB })
      .on("data", (d) => hash.update(d))
      .on("end", () => resolve())
      .on("error", reject);
  });
  return hash.digest("hex");
}

async function slotAHashes(vm: VmTarget): Promise<[string, string]> {
  return [await vm.partitionSha256(1), await vm.partitionSha256(2)];
}

async function allSlotHashes(vm: VmTarget): Promise<string[]> {
  return Promise.all([1, 2, 3, 4].map((p) => vm.partitionSha256(p)));
}

/** Boots until slot A comes up again, for the rollback scenarios; returns the records of these boots. */
async function bootUntilSlotA(vm: VmTarget, failBoot: (record: BootRecord) => Promise<void>): Promise<BootRecord[]> {
  const seen: BootRecord[] = [];
  for (let i = 0; i < 5; i++) {
    const record = vm.current!;
    seen.push(record);
    if (record.slot === "A") {
      await vm.waitUntil("systemctl is-active -q multi-user.target", "multi-user.target on slot A", 300_000);
      return seen;
    }
    await failBoot(record);
    await vm.powerOn("shell");
  }
  throw new Error(`no boot of slot A after ${seen.length} boots: ${seen.map((b) => b.slot).join(" ")}`);
}

// ---- first boot: the fresh flash completes its layout and provisions itself from /boot

scenario("part.first-boot-repart.creates", SLOW, async ({ context }) => {
  const { vm } = await device(context);
  const table = JSON.parse(await vm.succeed("sfdisk --json /dev/vda")) as { partitiontable: { lastlba: number; partitions: { start: number; size: number; name: string; type: string }[] } };
  const parts = table.partitiontable.partitions;
  expect(parts.map((p) => p.name)).toEqual(["boot-a", "rootfs-a", "boot-b", "rootfs-b", "data"]);
  expect([parts[2]!.start, parts[2]!.size]).toEqual([2392064, 262144]);
  expect([parts[3]!.start, parts[3]!.size]).toEqual([2654208, 2097152]);
  expect(parts[4]!.start).toBe(4751360);
  const dataEnd = parts[4]!.start + parts[4]!.size - 1;
  expect(table.partitiontable.lastlba - dataEnd).toBeLessThanOrEqual(2048);
  // part.gpt-types: boot partitions XBOOTLDR, root slots root-arm64 (the seed's types), data Linux
  expect(parts.map((p) => p.type)).toEqual([
    "BC13C2FF-59E6-4262-A352-B275FD6F7172", "B921B045-1DF0-41C3-AF44-4C6F280D3FAE",
    "BC13C2FF-59E6-4262-A352-B275FD6F7172", "B921B045-1DF0-41C3-AF44-4C6F280D3FAE",
    "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
  ]);
  expect(await vm.succeed("blkid -o value -s TYPE /dev/vda3")).toBe("vfat\n");
  expect(await vm.succeed("blkid -o value -s TYPE /dev/vda5")).toBe("f2fs\n");
  expect((await vm.exec("test -e /run/atomicnix/fresh-flash")).code).toBe(0);
});

scenario("prov.sources.fresh-flash", SLOW, async ({ context }) => {
  const { vm, seed } = await device(context);
  await vm.waitUntil("test -e /data/.completed_first_boot", "first-boot to complete from /boot/config.toml", 300_000);
  expect(await vm.succeed("cat /boot/config.toml")).toBe(seed);
  expect((await vm.exec("cmp /data/config/config.toml /boot/config.toml")).code, "stored config byte-identical to the seed").toBe(0);
  const status = await raucStatus(vm);
  const booted = Object.values(status.slots).find((s) => s.bootname === status.booted)!;
  expect(booted.boot_status).toBe("good");
  expect((await vm.exec("test -e /data/config/ssh-wan-enabled")).code, "no WAN SSH flag on a production seed").not.toBe(0);
  expect(await vm.succeed("journalctl -b -o cat -u first-boot.service")).toMatch(/\/boot\/config\.toml: imported/);
});

scenario("verify.first-boot.provisioned", SLOW, async ({ context }) => {
  const { vm } = await device(context);
  await vm.waitForUnit("first-boot.service", 300_000);
  expect((await vm.exec("test -f /data/.completed_first_boot")).code).toBe(0);
  const status = await raucStatus(vm);
  expect(status.booted).toBe("A");
  expect(status.slots["boot.0"]!.boot_status).toBe("good");
  // the commit record os-verification honours on later boots of this slot (a factory slot: no install identity)
  expect(JSON.parse(await vm.succeed("cat /data/rauc/commit-record.json"))).toMatchObject({ bootname: "A", slot: "boot.0", installed_count: 0 });
  // the provisioned application runs: the health check of later boots depends on it
  expect(await vm.succeed("systemctl is-active probe.service")).toBe("active\n");
});

scenario("rauc.slots.status", SLOW, async ({ context }) => {
  const { vm } = await device(context);
  await vm.waitForUnit("rauc.service", 30_000);
  expect(await vm.succeed("systemctl is-active rauc.service")).toBe("active\n");
  const status = JSON.parse(await vm.succeed("rauc status --output-format=json")) as { booted: string; slots: Record<string, { bootname: string | null; state: string; parent: string | null }>[] };
  const slots = Object.assign({}, ...status.slots) as Record<string, { bootname: string | null; state: string; parent: string | null }>;
  expect(Object.keys(slots).sort()).toEqual(["boot.0", "boot.1", "rootfs.0", "rootfs.1"]);
  expect(status.booted).toBe(await cmdlineSlot(vm));
  const bootedBoot = Object.entries(slots).find(([, s]) => s.bootname === status.booted)!;
  expect(bootedBoot[1].state).toBe("booted");
  const child = Object.entries(slots).find(([, s]) => s.parent === bootedBoot[0])!;
  expect(["booted", "active"]).toContain(child[1].state);
  for (const [name, s] of Object.entries(slots)) {
    if (name !== bootedBoot[0] && name !== child[0]) expect(s.state, name).toBe("inactive");
  }
});

// boot.counter.decrement is proven through the real U-Boot on the arm64 twin
// (tests/twin/uboot.test.ts): this driver's bootmeth would only check its own value.

// The first boot of slot A, provisioned: the ssh target's suite over SSH (read-only; first
// boot does not run os-verification, so nothing reboots the device under it)
test("conformance run --target ssh runs every ssh-bound scenario on the device and records ssh evidence", { timeout: 900_000 }, async (context) => {
  await sshConformanceRun(await sshRig(context));
});

// ---- bundles the device must refuse: nothing changes

scenario("rauc.signature.foreign-ca", SLOW, async ({ context }) => {
  const { vm, build, share } = await device(context);
  const foreign = sharedBundle(join(share, "foreign.raucb"), { boot: build.bootVfat!, rootfs: build.rootfs!, version: "25.11.9.twin", certs: certs(build, "foreign") });
  await mountShare(vm);
  const before = { hashes: await allSlotHashes(vm), env: await vm.readEnv(), status: await raucStatus(vm) };
  const r = await vm.exec(`rauc install /mnt/host/${foreign.split("/").pop()}`, { timeoutMs: 300_000 });
  expect(r.code).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(/signature|verif/i);
  expect(await allSlotHashes(vm)).toEqual(before.hashes);
  expect(await vm.readEnv()).toEqual(before.env);
  const after = await raucStatus(vm);
  expect(Object.fromEntries(Object.entries(after.slots).map(([k, s]) => [k, s.boot_status]))).toEqual(Object.fromEntries(Object.entries(before.status.slots).map(([k, s]) => [k, s.boot_status])));
  rmSync(foreign, { force: true });
});

scenario("rauc.signature.plain-format", SLOW, async ({ context }) => {
  const { vm, build, share } = await device(context);
  plainBundle(join(share, "plain.raucb"), certs(build, "dev"), "25.11.9.twin");
  await mountShare(vm);
  const before = await allSlotHashes(vm);
  const r = await vm.exec("rauc install /mnt/host/plain.raucb", { timeoutMs: 300_000 });
  expect(r.code).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(/plain/i);
  expect(await allSlotHashes(vm)).toEqual(before);
});

// ---- power cuts while rootfs-b is written, then a complete install

/**
 * Starts `rauc install` in the background and returns once its progress line names
 * rootfs-b (rootfs.1) at 20 to 80 percent: the cut falls while the new root is written,
 * the state a power loss is most likely to hit.
 */
async function installUntilRootfsB(vm: VmTarget): Promise<{ percent: number; line: string }> {
  await vm.succeed("rm -f /run/install.log; (rauc install /mnt/host/twin.raucb > /run/install.log 2>&1 &)");
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const log = (await vm.exec("tail -c 400 /run/install.log")).stdout;
    const lines = log.trim().split("\n");
    const last = lines.at(-1) ?? "";
    const percent = Number([...last.matchAll(/(\d+)%/g)].at(-1)?.[1] ?? NaN);
    if (percent >= 20 && percent <= 80 && /rootfs\.1/.test(last)) return { percent, line: last };
    if (percent > 80 || /failed|succeeded/i.test(log)) throw new Error(`install passed 80% or ended without a progress line naming rootfs.1: ${log}`);
  }
  throw new Error("rauc install never reported writing rootfs.1");
}

scenario("boot.power-cut.mid-install", SLOW, async ({ context }) => {
  const l = await device(context);
  const { vm } = l;
  await vm.waitForUnit("first-boot.service", 300_000);
  expect((await raucStatus(vm)).slots["boot.0"]!.boot_status, "slot A committed").toBe("good");
  l.slotA = await slotAHashes(vm);
  await mountShare(vm);
  const { percent: at, line } = await installUntilRootfsB(vm);
  step(`cutting power during the install: ${line}`);
  await vm.cutPower();
  expect(vm.current!.end).toBe("power-cut");
  expect(await slotAHashes(vm), `slot A after a cut at ${at}%`).toEqual(l.slotA);
  expect((await vm.readEnv()).BOOT_ORDER?.split(" ")[0], `first in BOOT_ORDER after a cut at ${at}%`).toBe("A");
  const record = await vm.powerOn();
  expect(record.slot).toBe("A");
  expect(await cmdlineSlot(vm)).toBe("A");
  expect(record.multiUserMs, "reached multi-user.target").toBeGreaterThan(0);
  await mountShare(vm);
  const r = await vm.exec("rauc install /mnt/host/twin.raucb", { timeoutMs: 600_000 });
  expect(r.code, r.stderr).toBe(0);
  // "the following boot has rauc.slot=B": boot.install-order.env reboots and checks it
});

scenario("rauc.inactive-only.hashes", SLOW, async ({ context }) => {
  const l = await device(context);
  const { vm, build } = l;
  expect(l.slotA, "the install of boot.power-cut.mid-install ran").toBeDefined();
  expect(await slotAHashes(vm)).toEqual(l.slotA);
  const rootfsSize = statSync(build.rootfs!).size;
  expect(await vm.partitionSha256(4, rootfsSize), "rootfs-b starts with the bundle's rootfs image").toBe(await fileSha256(build.rootfs!));
  // boot-b holds the files of the bundle's boot image, byte for byte
  const list = (image: string) => execFileSync("mdir", ["-b", "-i", image, "::/"], { encoding: "utf8" }).trim().split("\n").map((p) => p.replace(/^::\//, "")).sort();
  const bootB = `${vm.disk}@@${BOOT_B_OFFSET}`;
  const files = list(build.bootVfat!);
  expect(files.length).toBeGreaterThan(0);
  expect(list(bootB)).toEqual(files);
  for (const f of files) {
    const a = execFileSync("mtype", ["-i", build.bootVfat!, `::/${f}`], { maxBuffer: 1 << 30 });
    const b = execFileSync("mtype", ["-i", bootB, `::/${f}`], { maxBuffer: 1 << 30 });
    expect(createHash("sha256").update(b).digest("hex"), f).toBe(createHash("sha256").update(a).digest("hex"));
  }
});

scenario("boot.install-order.env", SLOW, async ({ context }) => {
  const l = await device(context);
  const { vm } = l;
  expect(await vm.succeed("fw_printenv BOOT_ORDER BOOT_B_LEFT")).toBe("BOOT_ORDER=B A\nBOOT_B_LEFT=3\n");
  // part.data-persistence.update-rollback starts here: a value written on slot A
  l.testFile = randomBytes(32).toString("hex");
  await vm.succeed(`printf %s ${l.testFile} > /data/config/test-file && sync`);
  // part.stable-layout.second-boot: the layout and a probe before the second boot of this disk's life
  l.layout = await vm.succeed("sfdisk --json /dev/vda");
  l.layoutProbe = randomBytes(16).toString("hex");
  await vm.succeed(`printf %s ${l.layoutProbe} > /data/config/layout-probe && sync`);
  await vm.reboot("shell");
  expect(vm.current!.slot).toBe("B");
  expect(await cmdlineSlot(vm)).toBe("B");
});

scenario("part.stable-layout.second-boot", SLOW, async ({ context }) => {
  const l = await device(context);
  expect(l.layout, "recorded before the reboot of boot.install-order.env").toBeDefined();
  expect(await l.vm.succeed("sfdisk --json /dev/vda"), "PARTUUIDs, starts and sizes").toBe(l.layout);
  await l.vm.waitUntil("mountpoint -q /data", "/data mounted", 120_000);
  expect((await l.vm.succeed("cat /data/config/layout-probe")).trim()).toBe(l.layoutProbe);
  expect((await l.vm.exec("test -e /run/atomicnix/fresh-flash")).code).not.toBe(0);
});

// ---- the new slot B never confirms: the watchdog resets it three times, then A boots

scenario("wdog.rollback-feed.vm", SLOW, async ({ context }) => {
  const l = await device(context);
  const { vm } = l;
  expect(vm.current!.slot, "an uncommitted slot B booted after the install").toBe("B");
  const dataOnB: string[] = [];
  const boots = await bootUntilSlotA(vm, async (record) => {
    await vm.waitUntil("mountpoint -q /data", "/data mounted", 120_000);
    dataOnB.push((await vm.succeed("cat /data/config/test-file")).trim());
    expect((await vm.exec("test -e /data/rauc/commit-record.json")).code === 0 ? await vm.succeed("cat /data/rauc/commit-record.json") : "", `boot ${record.n}: slot B not committed`).not.toMatch(/"bootname":\s*"B"/);
    // test-only drop-in: PID 1 feeds the i6300esb, then is frozen (its cgroup: init
    // ignores SIGSTOP, it only receives signals it handles)
    await vm.succeed("mkdir -p /run/systemd/system.conf.d && printf '[Manager]\\nRuntimeWatchdogSec=30s\\n' > /run/systemd/system.conf.d/90-test-watchdog.conf && systemctl daemon-reexec");
    await vm.waitUntil("[ \"$(systemctl show -P RuntimeWatchdogUSec)\" = 30s ]", "RuntimeWatchdogUSec=30s", 30_000);
    step(`boot ${record.n}: slot B fed the watchdog; freezing PID 1`);
    await vm.succeed("echo 1 > /sys/fs/cgroup/init.scope/cgroup.freeze");
    const ended = await vm.waitForOff(240_000);
    expect(ended.end, `boot ${ended.n} ended by`).toBe("watchdog-reset");
    expect(ended.events.some((e) => e.event === "WATCHDOG" && e.data?.action === "reset"), "QEMU reported a WATCHDOG reset event").toBe(true);
  });
  expect(boots.map((b) => b.slot)).toEqual(["B", "B", "B", "A"]);
  expect(boots.slice(0, 3).map((b) => b.leftBefore), "slot B's counter before each of its boots").toEqual([3, 2, 1]);
  expect(boots.slice(0, 3).map((b) => b.end)).toEqual(["watchdog-reset", "watchdog-reset", "watchdog-reset"]);
  expect(dataOnB).toEqual([l.testFile, l.testFile, l.testFile]);
});

scenario("part.data-persistence.update-rollback", SLOW, async ({ context }) => {
  const l = await device(context);
  expect(l.vm.bootedSlots.slice(-4), "boots since the install: three of B, then A").toEqual(["B", "B", "B", "A"]);
  // the value was read on every boot of slot B in wdog.rollback-feed.vm; now after the rollback
  expect((await l.vm.succeed("cat /data/config/test-file")).trim()).toBe(l.testFile);
});

scenario("boot.lifecycle-log.rollback", SLOW, async ({ context }) => {
  const { vm } = await device(context);
  expect(vm.current!.slot).toBe("A");
  await vm.waitUntil("journalctl -b -o cat -u watchdog-boot-count.service | grep -q slot=", "watchdog-boot-count.service", 60_000);
  const journal = await vm.succeed("journalctl -b -o cat -u watchdog-boot-count.service");
  expect(journal).toMatch(/^slot=A left=2\b/m);
  expect(journal).toMatch(/^rollback from=B to=A$/m);
});

// ---- an installed system that fails os-verification rolls back by itself

scenario("boot.rollback.health-failure", SLOW, async ({ context }) => {
  const l = await device(context);
  const { vm, build, share } = l;
  expect(vm.current!.slot).toBe("A");
  // os-verification of this boot (if it ran: not on the first boot, before provisioning) is over
  await verificationSettled(vm);
  expect((await raucStatus(vm)).slots["boot.0"]!.boot_status, "slot A committed").toBe("good");
  const rootfs = unhealthyRootfs(build, join(l.scratch, "unhealthy.squashfs"));
  sharedBundle(join(share, "unhealthy.raucb"), { boot: build.bootVfat!, rootfs, version: "25.11.2.twin", certs: certs(build, "dev") });
  l.slotA = await slotAHashes(vm);
  await mountShare(vm);
  const r = await vm.exec("rauc install /mnt/host/unhealthy.raucb", { timeoutMs: 600_000 });
  expect(r.code, r.stderr).toBe(0);
  await vm.reboot("shell");
  // each failing boot's own journal of os-verification, read as root before the reboot
  // takes the shell away (the journal is volatile; /data/logs is the logging scenarios' business)
  const journals = new Map<number, string | undefined>();
  const boots = await bootUntilSlotA(vm, async (record) => {
    journals.set(record.n, await failedTrialJournal(vm));
    const ended = await vm.waitForOff(300_000);
    expect(ended.end, `boot ${ended.n} of slot B ended by`).toBe("guest-reset");
  });
  expect(boots.map((b) => b.slot), "exactly three boots of B before A").toEqual(["B", "B", "B", "A"]);
  const status = await raucStatus(vm);
  expect(status.slots["boot.1"]!.boot_status).toBe("bad");
  expect(await slotAHashes(vm)).toEqual(l.slotA);
  rollbackEvidence = { boots, journals };
});
let rollbackEvidence: { boots: BootRecord[]; journals: Map<number, string | undefined> } | undefined;

/**
 * Waits until os-verification.service has failed on this boot and returns its journal
 * (`short-unix`: seconds since the epoch first), or undefined when the boot ended first.
 */
async function failedTrialJournal(vm: VmTarget): Promise<string | undefined> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline && vm.current!.end === "running") {
    const r = await vm
      .exec('[ "$(systemctl show -P ActiveState os-verification.service)" = failed ] && journalctl -b -o short-unix -u os-verification.service --no-pager', { timeoutMs: 20_000 })
      .catch(() => undefined);
    if (r?.code === 0) return r.stdout;
    await sleep(500);
  }
  return undefined;
}

scenario("verify.trial-failure.reboot", SLOW, async ({ context }) => {
  await device(context);
  expect(rollbackEvidence, "boot.rollback.health-failure ran").toBeDefined();
  const { boots, journals } = rollbackEvidence!;
  for (const boot of boots.slice(0, 3)) {
    const journal = journals.get(boot.n);
    expect(journal, `boot ${boot.n}: os-verification.service failed and its journal was read before the reboot`).toBeDefined();
    const lines = journal!.split("\n");
    const at = (re: RegExp) => {
      const line = lines.find((l) => re.test(l));
      return line === undefined ? undefined : Number(line.split(" ")[0]) * 1000;
    };
    const verdict = at(/verification of slot B failed/);
    expect(verdict, `boot ${boot.n}: os-verification refused slot B\n${journal}`).toBeDefined();
    expect(at(/check failed .*dnsmasq/), `boot ${boot.n}: the failed check names dnsmasq`).toBeDefined();
    expect(at(/os-verification\.service: Main process exited, code=exited, status=[1-9]/), `boot ${boot.n}: the unit exited non-zero\n${journal}`).toBeDefined();
    expect(journal, `boot ${boot.n}: slot B not committed`).not.toMatch(/committed after|mark-good/);
    const reset = boot.events.find((e) => e.event === "SHUTDOWN" && e.data?.reason === "guest-reset")?.at;
    expect(reset, `boot ${boot.n}: QEMU saw the guest reset itself`).toBeDefined();
    // guest clock = host clock (QEMU's RTC) within a second or two
    expect(reset! - verdict!, `boot ${boot.n}: ms from the failure to the reset`).toBeLessThanOrEqual(60_000);
    expect(reset! - verdict!, `boot ${boot.n}: the reset follows the failure`).toBeGreaterThan(-5_000);
  }
  expect(boots.slice(0, 3).map((b) => b.leftBefore), "each next boot shows slot B's counter one lower").toEqual([3, 2, 1]);
});

/**
 * An HTTP request of the LAN client (the host, 172.20.30.2 on QEMU's LAN) to the
 * gateway's console through the port forward, naming the console by its LAN address
 * as a browser on the LAN would (the console refuses other Host names).
 */
function lanRequest(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers: { Host: "172.20.30.1:8080", ...(body !== undefined ? { "Content-Type": "application/toml" } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

// ---- /data wiped: no replay of the boot-partition seed; the console reprovisions

scenario("prov.sources.no-replay", SLOW, async ({ context }) => {
  const l = await device(context);
  const { vm } = l;
  expect(vm.current!.slot, "slot A, whose /boot holds the seed").toBe("A");
  expect((await vm.exec("test -f /boot/config.toml")).code).toBe(0);
  const table = await vm.succeed("sfdisk --json /dev/vda");
  // the operator's wipe: applications stopped, their storage mounts released, /data emptied
  await vm.succeed("systemctl stop probe.service; findmnt -rn -o TARGET | grep '^/data/' | sort -r | xargs -r -n1 umount -l; find /data -mindepth 1 -maxdepth 1 -exec rm -rf {} + && sync", { timeoutMs: 120_000 });
  await vm.reboot();
  // recorded before any assertion: part.stable-layout.wiped-data judges the same boot
  l.wipe = { tableBefore: table, tableAfter: await vm.succeed("sfdisk --json /dev/vda"), freshFlashAfter: (await vm.exec("test -e /run/atomicnix/fresh-flash")).code === 0 };
  expect(l.wipe.freshFlashAfter).toBe(false);
  expect((await vm.exec("test -e /data/config/config.toml")).code).not.toBe(0);
  expect(await vm.succeed("systemctl is-active multi-user.target")).toBe("active\n");
  // rauc.system-conf.status-dir judges the same boot, before the import below
  l.wipe.statusDir = {
    mountedOn: (await vm.exec("test -d /data/rauc && findmnt -n -o TARGET -T /data/rauc")).stdout.trim(),
    raucActive: (await vm.exec("systemctl is-active rauc.service")).stdout.trim(),
    statusCode: (await vm.exec("rauc status")).code,
  };
  await vm.waitForPort(8080);
  const page = await lanRequest(l.consolePort, "GET", "/");
  expect(page.status, `GET / from the LAN: ${page.body.slice(0, 200)}`).toBe(200);
  expect(await vm.succeed("systemctl show -P ActiveState first-boot.service")).toBe("activating\n");
  expect((await vm.exec("test -e /data/.completed_first_boot")).code).not.toBe(0);
  const bootId = await vm.succeed("cat /proc/sys/kernel/random/boot_id");
  // a LAN client without any key posts the configuration unsigned
  const posted = Date.now();
  const res = await lanRequest(l.consolePort, "POST", "/api/config", l.seed);
  const answer = JSON.parse(res.body) as { ok: boolean };
  // a hang guard, not a timing goal: a TCG guest's pace says nothing of a Rock64's
  await vm.waitUntil("test -e /data/.completed_first_boot", "first-boot to complete after the console import", 300_000);
  l.wipe.post = { status: res.status, ok: answer.ok, completedMs: Date.now() - posted };
  step(`first-boot completed ${(l.wipe.post.completedMs / 1000).toFixed(1)} s after the post`);
  expect(res.status).toBe(200);
  expect(answer.ok).toBe(true);
  expect(await vm.succeed("systemctl show -P ActiveState first-boot.service")).toBe("active\n");
  expect(await vm.succeed("cat /proc/sys/kernel/random/boot_id"), "the same boot").toBe(bootId);
});

scenario("part.stable-layout.wiped-data", SLOW, async ({ context }) => {
  const { wipe } = await device(context);
  expect(wipe, "prov.sources.no-replay wiped /data and rebooted").toBeDefined();
  expect(wipe!.freshFlashAfter).toBe(false);
  expect(wipe!.tableAfter).toBe(wipe!.tableBefore);
});

scenario("rauc.system-conf.status-dir", SLOW, async ({ context }) => {
  const { wipe } = await device(context);
  expect(wipe?.statusDir, "prov.sources.no-replay booted the emptied /data").toBeDefined();
  expect(wipe!.statusDir!.mountedOn, "/data/rauc exists on the filesystem mounted at /data").toBe("/data");
  expect(wipe!.statusDir!.raucActive).toBe("active");
  expect(wipe!.statusDir!.statusCode, "rauc status").toBe(0);
});

scenario("console.open-before-provisioning.unsigned", SLOW, async ({ context }) => {
  const l = await device(context);
  expect(l.wipe?.post, "prov.sources.no-replay posted the configuration after the wipe").toBeDefined();
  expect(l.wipe!.post!).toMatchObject({ status: 200, ok: true });
  expect(await l.vm.succeed("systemctl show -P ActiveState first-boot.service")).toBe("active\n");
  expect((await l.vm.exec("test -e /data/.completed_first_boot")).code).toBe(0);
});

// ---- os-upgrade: the reference update server offers a newer bundle

scenario("upgrade.download.success", SLOW, async ({ context }) => {
  const l = await device(context);
  const { vm, build, share } = l;
  expect(vm.current!.slot).toBe("A");
  await vm.waitUntil("test -e /data/.completed_first_boot", "a provisioned device", 120_000);
  const updates = join(share, "updates");
  mkdirSync(updates, { recursive: true });
  const bundle = sharedBundle(join(updates, "next.raucb"), { boot: build.bootVfat!, rootfs: build.rootfs!, version: "25.11.3.twin", certs: certs(build, "dev") });
  const offered = await fileSha256(bundle);
  updateServer = spawn("node", [join(import.meta.dirname, "../../bin/atomicnix.js"), "update-server", "--dir", updates, "--port", String(l.updatePort), "--host", "127.0.0.1", "--keyring", build.certs + "/dev.ca.cert.pem", "--compatible", "atomicnix-twin", "--public-url", `http://${WAN_SERVICE_ADDRESS}:8080`], { stdio: ["ignore", "pipe", "pipe"] });
  let serverLog = "";
  updateServer.stdout!.on("data", (d: Buffer) => (serverLog += d.toString()));
  updateServer.stderr!.on("data", (d: Buffer) => (serverLog += d.toString()));
  // the server checks every bundle's signature against the keyring before it listens
  for (const deadline = Date.now() + 300_000; !serverLog.includes("listening on") && Date.now() < deadline; ) await sleep(500);
  expect(serverLog, "the update server started").toContain("listening on");
  await vm.waitUntil(`curl -s -o /dev/null -w '%{http_code}' http://${WAN_SERVICE_ADDRESS}:8080/api/v1/updates/latest | grep -qv 000`, "the update server through the WAN", 60_000);
  // verify.commit.success's precondition: no lan-settings.json (the gateway address is the fallback)
  await vm.succeed("rm -f /data/config/lan-settings.json && systemctl start --no-block os-upgrade.service");
  // the downloaded bundle, hashed while `rauc install` runs on it
  let installed = "";
  let unitEnded = false;
  let sawRun = false;
  const deadline = Date.now() + 600_000;
  while (!installed && !unitEnded && Date.now() < deadline && vm.current!.end === "running") {
    const r = await vm.exec("pgrep -af '^rauc install '; systemctl show -P ActiveState os-upgrade.service", { timeoutMs: 10_000 }).catch(() => undefined);
    const path = /^\d+ rauc install (\S+)$/m.exec(r?.stdout ?? "")?.[1];
    if (path) {
      installed = path;
      expect((await vm.succeed(`sha256sum ${path}`, { timeoutMs: 120_000 })).split(" ")[0], "the installed file is the offered bundle").toBe(offered);
    }
    // a run that ended without installing will not install later: stop waiting, say why
    if (/^activating$/m.test(r?.stdout ?? "")) sawRun = true;
    unitEnded = sawRun && /^(inactive|failed)$/m.test(r?.stdout ?? "") && !path;
  }
  const journal = installed ? "" : (await vm.exec("journalctl -b -o cat -u os-upgrade.service | tail -n 20", { timeoutMs: 30_000 }).catch(() => undefined))?.stdout ?? "";
  expect(installed, `rauc install ran on a bundle below /data/config/bundles\nos-upgrade:\n${journal}\nupdate server:\n${serverLog}`).toMatch(/^\/data\/config\/bundles\/[^/]+\.raucb$/);
  const ended = await vm.waitForOff(600_000);
  expect(ended.end, "the device rebooted itself").toBe("guest-reset");
  await vm.powerOn("shell");
  expect(await cmdlineSlot(vm)).toBe("B");
  await vm.waitUntil("mountpoint -q /data && ! ls /data/config/bundles/ 2>/dev/null | grep -qE '\\.(part|raucb)$'", "bundles/ emptied", 180_000);
});

scenario("verify.commit.success", SLOW, async ({ context }) => {
  const { vm } = await device(context);
  expect(vm.current!.slot, "slot B under trial after the update").toBe("B");
  expect((await vm.exec("test -e /data/config/lan-settings.json")).code).not.toBe(0);
  await vm.waitUntil("ip -4 -o addr show eth1 | grep -q ' 172.20.30.1/24 '", "eth1 172.20.30.1/24", 120_000);
  await vm.waitForUnit("os-verification.service", 300_000);
  expect(await vm.succeed("systemctl show -P ExecMainStatus os-verification.service")).toBe("0\n");
  const journal = await vm.succeed("journalctl -b -o short-unix -u os-verification.service");
  const at = (re: RegExp) => Number(journal.split("\n").find((line) => re.test(line))?.split(" ")[0]);
  const firstRound = at(/round 1 at /);
  const committed = at(/committed after/);
  expect(committed - firstRound, "seconds from the first round to the commit").toBeGreaterThanOrEqual(60);
  const status = await raucStatus(vm);
  expect(status.booted).toBe("B");
  expect(status.slots["boot.1"]!.boot_status).toBe("good");
  expect(await vm.succeed("fw_printenv BOOT_ORDER BOOT_B_LEFT")).toMatch(/^BOOT_ORDER=B( A)?\nBOOT_B_LEFT=3\n$/);
});

// ---- the same device over SSH, as a bench board is reached (the suite ran on the first boot)

async function sshRig(context: TestContext): Promise<SshRig> {
  const l = await device(context);
  await l.vm.waitUntil("test -e /data/.completed_first_boot && systemctl is-active -q ssh.service", "a provisioned device with sshd", 300_000);
  return { vm: l.vm, build: l.build, port: l.sshPort, key: join(l.scratch, "admin"), dir: l.scratch };
}

test("SshTarget: exec, describe, console log, power-hook reboot with a new boot_id", { timeout: 900_000 }, async (context) => {
  await sshTargetDriver(await sshRig(context));
});
