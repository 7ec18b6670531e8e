/**
 * What differs between the twin's architectures in QEMU (TCG): the system binary,
 * machine and CPU, and the kernel's serial console. Measured here (twin-feasibility):
 * arm64 needs `pauth-impdef=on` or TCG boots take ~3x longer.
 */
export interface QemuMachine {
  binary: string;
  args: string[];
  console: string;
}

export function qemuMachine(arch: string): QemuMachine {
  switch (arch) {
    case "amd64":
      return { binary: "qemu-system-x86_64", args: ["-accel", "tcg,thread=multi", "-cpu", "max"], console: "ttyS0" };
    case "arm64":
      return { binary: "qemu-system-aarch64", args: ["-M", "virt", "-accel", "tcg,thread=multi", "-cpu", "max,pauth-impdef=on"], console: "ttyAMA0" };
    default:
      throw new Error(`no QEMU machine for architecture ${arch} (amd64 or arm64)`);
  }
}

/**
 * The U-Boot twin's disk: one image attached twice, as an SD card on sdhci-pci for
 * U-Boot (its RAUC boot method accepts only MMC devices) and as virtio-blk for Linux
 * (which leaves the SD host to U-Boot: ten times faster).
 */
export function ubootDiskArgs(disk: string): string[] {
  return [
    "-blockdev", `driver=file,filename=${disk},node-name=f0,cache.no-flush=on`,
    "-blockdev", "driver=raw,file=f0,node-name=disk0",
    "-device", "sdhci-pci", "-device", "sd-card,drive=disk0",
    "-device", "virtio-blk-pci,drive=disk0,share-rw=on",
  ];
}
