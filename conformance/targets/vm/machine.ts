/**
 * The twin's machine in QEMU (TCG): the Rock64's architecture, booting the
 * twin's own U-Boot (twin/build-uboot.sh) as its firmware. Measured here
 * (twin-feasibility): arm64 needs `pauth-impdef=on` or TCG boots take ~3x longer.
 * The disk is attached twice: as an SD card on sdhci-pci for U-Boot (its RAUC boot
 * method accepts only MMC devices) and as virtio-blk for Linux (which leaves the SD
 * host to U-Boot: ten times faster), one image behind both.
 */
export interface QemuMachine {
  binary: string;
  args: string[];
}

export const VM_ARCH = "arm64";

export function qemuMachine(arch: string): QemuMachine {
  if (arch !== VM_ARCH) throw new Error(`the VM twin boots through U-Boot on arm64 only (asked for ${arch}): build it with twin/build.sh --arch arm64`);
  return { binary: "qemu-system-aarch64", args: ["-M", "virt", "-accel", "tcg,thread=multi", "-cpu", "max,pauth-impdef=on"] };
}

export function diskArgs(disk: string): string[] {
  return [
    "-blockdev", `driver=file,filename=${disk},node-name=f0,cache.no-flush=on`,
    "-blockdev", "driver=raw,file=f0,node-name=disk0",
    "-device", "sdhci-pci", "-device", "sd-card,drive=disk0",
    "-device", "virtio-blk-pci,drive=disk0,share-rw=on",
  ];
}
