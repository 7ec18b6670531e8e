import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The U-Boot twin's boots are the bootloader's work: no verdict of its suite may rest
 * on an env value or a command line the harness wrote. So neither its driver (and
 * the modules it is built from) nor its suite write the env from the host or boot a
 * kernel past U-Boot; a test that sets an env variable does it inside the device with
 * the device's own fw_setenv, as a bench tester would, and says so in its GIVEN. (The
 * amd64 lifecycle driver, vm.ts with bootmeth.ts, still plays the bootmeth: the
 * scenarios that judge the bootloader run on the U-Boot twin.)
 */
const repo = join(import.meta.dirname, "../..");
const read = (file: string) => [file, readFileSync(join(repo, file), "utf8")] as const;
const driver = ["uboot-vm.ts", "qemu-twin-target.ts", "qemu-common.ts", "test-shell.ts", "uboot-console.ts", "qmp.ts"].map((f) => read(`conformance/targets/vm/${f}`));
const suite = [read("tests/twin/uboot.test.ts"), read("tests/twin/vm-shell.ts")];

/** Host-side ways to steer a boot: writing the env, or QEMU loading a kernel itself. */
export function steering(source: string): string[] {
  const found: string[] = [];
  for (const [what, re] of [
    ["host fw_setenv", /\[\s*"fw_setenv"/],
    ["QEMU -kernel", /"-kernel"/],
    ["QEMU -append", /"-append"/],
    ["QEMU -initrd", /"-initrd"/],
    ["QEMU -no-reboot (resets must reach U-Boot)", /"-no-reboot"/],
    // by literal or through the layout accessor (generated/layout/partition-layout.ts)
    ["a write to the disk image's env region", /writeSync\([^)]*(0x100000|envLocation|ubootEnv)|mkenvimage/],
  ] as const) {
    if (re.test(source)) found.push(what);
  }
  return found;
}

describe("the U-Boot twin's driver never steers a boot", () => {
  it.each([...driver, ...suite])("%s", (_file, source) => {
    expect(steering(source)).toEqual([]);
  });

  it("finds each way of steering in a planted copy of the old driver", () => {
    const planted = `await must(["fw_setenv", ...this.fwEnvArgs(), "BOOT_A_LEFT", "2"]);\nspawn(q, ["-no-reboot", "-kernel", k, "-initrd", i, "-append", a]);`;
    expect(steering(planted)).toEqual(["host fw_setenv", "QEMU -kernel", "QEMU -append", "QEMU -initrd", "QEMU -no-reboot (resets must reach U-Boot)"]);
  });

  it("boots QEMU with U-Boot as its firmware", () => {
    const vm = driver.find(([f]) => f.endsWith("/uboot-vm.ts"))![1];
    expect(vm).toMatch(/"-bios", this\.options\.firmware/);
  });
});
