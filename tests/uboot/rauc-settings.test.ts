import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LAYOUT, fwEnvLine } from "../../generated/layout/partition-layout.js";

/**
 * The RAUC settings of the Rock64's U-Boot (nix/uboot.nix) and of the twin's
 * (twin/build-uboot.sh) are one file, nix/scripts/uboot-rauc.config; the board fragments
 * may not change them, and the facts that live elsewhere (RAUC's slots, the env
 * locations of fw_env.config, the twin's env) agree with it.
 */
const repo = join(import.meta.dirname, "../..");
const read = (p: string) => readFileSync(join(repo, p), "utf8");

/** Kconfig fragment lines: CONFIG_X=value and "# CONFIG_X is not set" (= "n"), later lines win */
function kconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const set = /^(CONFIG_[A-Z0-9_]+)=(.*)$/.exec(line);
    const unset = /^# (CONFIG_[A-Z0-9_]+) is not set$/.exec(line);
    if (set) out.set(set[1]!, set[2]!);
    else if (unset) out.set(unset[1]!, "n");
  }
  return out;
}

const rauc = kconfig(read("nix/scripts/uboot-rauc.config"));
const rock64 = kconfig(read("nix/scripts/uboot-rock64.config"));
const twin = kconfig(read("twin/uboot/qemu-arm64.config"));
const unquote = (v: string | undefined) => v?.replace(/^"(.*)"$/, "$1");

describe("U-Boot RAUC settings shared by the Rock64 and the twin", () => {
  it("both builds merge nix/scripts/uboot-rauc.config", () => {
    const nix = read("nix/uboot.nix");
    expect(nix).toMatch(/builtins\.readFile \.\/scripts\/uboot-rauc\.config/);
    expect(nix).toMatch(/builtins\.readFile \.\/scripts\/uboot-rock64\.config/);
    const script = read("twin/build-uboot.sh");
    expect(script).toMatch(/fragments=\("\$repo\/nix\/scripts\/uboot-rauc\.config" "\$here\/uboot\/qemu-arm64\.config"\)/);
  });

  it("both are U-Boot 2026.07 at the same commit (2026.01 or later: squashfs roots, fresh flashes)", () => {
    const rev = /UBOOT_COMMIT=([0-9a-f]{40})/.exec(read("twin/build-uboot.sh"))?.[1];
    expect(rev).toBeDefined();
    expect(read("nix/uboot.nix")).toContain(`rev = "${rev}"`);
    expect(read("nix/uboot.nix")).toMatch(/version = "2026\.07"/);
    expect(read("twin/build-uboot.sh")).toMatch(/UBOOT_VERSION=v2026\.07/);
  });

  it("the RAUC boot method is on, A then B on the partition-layout table's slot map, 3 tries, only the RAUC boot method", () => {
    expect(rauc.get("CONFIG_BOOTMETH_RAUC")).toBe("y");
    expect(unquote(rauc.get("CONFIG_BOOTMETH_RAUC_BOOT_ORDER"))).toBe(Object.keys(LAYOUT.slots).join(" "));
    expect(unquote(rauc.get("CONFIG_BOOTMETH_RAUC_PARTITIONS"))).toBe(LAYOUT.raucBootmethPartitions);
    expect(rauc.get("CONFIG_BOOTMETH_RAUC_DEFAULT_TRIES")).toBe("3");
    expect(rauc.get("CONFIG_BOOTMETH_RAUC_RESET_ALL_ZERO_TRIES")).toBe("y");
    expect(unquote(rauc.get("CONFIG_BOOTCOMMAND"))).toMatch(/setenv bootmeths rauc; bootflow scan -lb$/);
  });

  it("no board fragment changes a RAUC setting; the twin's boot command only prefixes boot_targets", () => {
    for (const [key] of rauc) {
      if (key === "CONFIG_BOOTCOMMAND") continue;
      expect(rock64.has(key), `rock64.config sets ${key}`).toBe(false);
      expect(twin.has(key), `qemu-arm64.config sets ${key}`).toBe(false);
    }
    expect(rock64.has("CONFIG_BOOTCOMMAND")).toBe(false);
    expect(unquote(twin.get("CONFIG_BOOTCOMMAND"))).toBe(`setenv boot_targets mmc; ${unquote(rauc.get("CONFIG_BOOTCOMMAND"))}`);
  });

  it("RAUC's slots match the boot method's order and partitions (Nix module and twin)", () => {
    const parts = unquote(rauc.get("CONFIG_BOOTMETH_RAUC_PARTITIONS"))!.split(" ").map((p) => p.split(",").map(Number));
    const order = unquote(rauc.get("CONFIG_BOOTMETH_RAUC_BOOT_ORDER"))!.split(" ");
    const twinConf = read("twin/rootfs/etc/rauc/system.conf");
    order.forEach((name, i) => {
      const [boot, root] = parts[i]!;
      expect(twinConf).toMatch(new RegExp(`\\[slot\\.boot\\.${i}\\]\\ndevice=/dev/vda${boot}\\ntype=vfat\\nbootname=${name}\\n`));
      expect(twinConf).toMatch(new RegExp(`\\[slot\\.rootfs\\.${i}\\]\\ndevice=/dev/vda${root}\\n`));
    });
    const nixConf = read("modules/rauc.nix");
    for (const name of order) expect(nixConf).toContain(`bootname=${name}`);
  });

  it("the env locations of the U-Boot builds are those of fw_env.config, and both the partition-layout table's", () => {
    const fields = (p: string) => read(p).split("\n").filter((l) => l.trim() && !l.startsWith("#"))[0]!.trim().split(/\s+/);
    expect(fields("device/etc/fw_env.config").join(" ")).toBe(fwEnvLine("rock64"));
    expect(fields("device/etc/fw_env.virtio.config").join(" ")).toBe(fwEnvLine("virtual"));
    const [, offset, size, sect] = fields("device/etc/fw_env.config");
    expect([rock64.get("CONFIG_ENV_IS_IN_SPI_FLASH"), rock64.get("CONFIG_ENV_OFFSET"), rock64.get("CONFIG_ENV_SIZE"), rock64.get("CONFIG_ENV_SECT_SIZE")]).toEqual(["y", offset, size, sect]);
    const [, vOffset, vSize] = fields("device/etc/fw_env.virtio.config");
    expect([twin.get("CONFIG_ENV_IS_IN_MMC"), twin.get("CONFIG_ENV_OFFSET"), twin.get("CONFIG_ENV_SIZE")]).toEqual(["y", vOffset, vSize]);
  });

  it("the twin's build-time env selects the RAUC boot method and starts every slot at the default tries", () => {
    const env = Object.fromEntries(read("twin/uboot/env-arm64.txt").split("\n").filter((l) => l && !l.startsWith("#")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    expect(env.bootmeths).toBe("rauc");
    expect(env.BOOT_ORDER).toBe(unquote(rauc.get("CONFIG_BOOTMETH_RAUC_BOOT_ORDER")));
    for (const slot of env.BOOT_ORDER!.split(" ")) expect(env[`BOOT_${slot}_LEFT`]).toBe(rauc.get("CONFIG_BOOTMETH_RAUC_DEFAULT_TRIES"));
  });
});
