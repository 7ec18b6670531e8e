import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, type TestContext } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { currentTarget } from "../../conformance/targets.js";
import { VmTarget } from "../../conformance/targets/vm/vm.js";
import { locateTwin } from "../../twin/locate.js";

// Device scenarios on the QEMU twin: one fresh flash, booted once (TCG, ~60 s) and
// shared by the tests of this file. Runs only with ATOMICNIX_TARGET=vm.
let vm: VmTarget | undefined;
let booting: Promise<VmTarget> | undefined;
let scratch: string | undefined;
afterAll(async () => {
  if (vm) {
    await vm.stop();
    console.log(`vm twin: ${vm.describe().boots} boot(s), boot times ms ${vm.bootTimes.join(", ")}, slots ${vm.bootedSlots.join(" ")}`);
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 60_000);
async function twin(context: TestContext): Promise<VmTarget> {
  if (currentTarget() !== "vm") context.skip("not a vm run");
  const build = locateTwin();
  if ("missing" in build) return context.skip(build.missing) as never;
  if (!build.image) return context.skip("twin built with --root-only: no image for the vm target") as never;
  if (!booting) {
    scratch = mkdtempSync(join(tmpdir(), "atomicnix-vm-"));
    const t = new VmTarget({ image: build.image, workDir: scratch, imageHash: build.imageSha256, arch: build.arch });
    vm = t;
    booting = t.start().then(() => t);
  }
  return booting;
}
const SLOW = { targets: ["vm"] as const, timeout: 420_000 };

scenario("part.first-boot-repart.creates", SLOW, async ({ context }) => {
  const t = await twin(context);
  const table = JSON.parse(await t.succeed("sfdisk --json /dev/vda")) as { partitiontable: { lastlba: number; partitions: { start: number; size: number; name: string; type: string }[] } };
  const parts = table.partitiontable.partitions;
  expect(parts.map((p) => p.name)).toEqual(["boot-a", "rootfs-a", "boot-b", "rootfs-b", "data"]);
  expect([parts[2]!.start, parts[2]!.size]).toEqual([2392064, 262144]);
  expect([parts[3]!.start, parts[3]!.size]).toEqual([2654208, 2097152]);
  expect(parts[4]!.start).toBe(4751360);
  const dataEnd = parts[4]!.start + parts[4]!.size - 1;
  expect(table.partitiontable.lastlba - dataEnd).toBeLessThanOrEqual(2048);
  expect(await t.succeed("blkid -o value -s TYPE /dev/vda3")).toBe("vfat\n");
  expect(await t.succeed("blkid -o value -s TYPE /dev/vda5")).toBe("f2fs\n");
  expect((await t.exec("test -e /run/atomicnix/fresh-flash")).code).toBe(0);
});

scenario("rauc.slots.status", SLOW, async ({ context }) => {
  const t = await twin(context);
  await t.waitForUnit("rauc.service", 30_000);
  expect(await t.succeed("systemctl is-active rauc.service")).toBe("active\n");
  const status = JSON.parse(await t.succeed("rauc status --output-format=json")) as { booted: string; slots: Record<string, { bootname: string | null; state: string; parent: string | null }>[] };
  const slots = Object.assign({}, ...status.slots) as Record<string, { bootname: string | null; state: string; parent: string | null }>;
  expect(Object.keys(slots).sort()).toEqual(["boot.0", "boot.1", "rootfs.0", "rootfs.1"]);
  const cmdlineSlot = /rauc\.slot=(\S+)/.exec(await t.succeed("cat /proc/cmdline"))?.[1];
  expect(status.booted).toBe(cmdlineSlot);
  const bootedBoot = Object.entries(slots).find(([, s]) => s.bootname === status.booted)!;
  expect(bootedBoot[1].state).toBe("booted");
  const child = Object.entries(slots).find(([, s]) => s.parent === bootedBoot[0])!;
  expect(["booted", "active"]).toContain(child[1].state);
  for (const [name, s] of Object.entries(slots)) {
    if (name !== bootedBoot[0] && name !== child[0]) expect(s.state, name).toBe("inactive");
  }
});
