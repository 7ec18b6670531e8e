/**
 * U-Boot's RAUC bootmeth (CONFIG_BOOTMETH_RAUC) as the VM driver plays it from the
 * host: the first slot of BOOT_ORDER with BOOT_<slot>_LEFT above zero boots, after
 * its counter is decremented and saved. No slot with tries left: no boot.
 */
export type UbootEnv = Record<string, string>;

/** boot and rootfs partition numbers of each slot (boot.scr's distro_bootpart/rootpart) */
export const SLOT_PARTITIONS: Record<string, [number, number]> = { A: [1, 2], B: [3, 4] };

export function chooseSlot(env: UbootEnv): { slot: string; leftAfter: number } | undefined {
  const order = (env.BOOT_ORDER ?? "A B").trim().split(/\s+/).filter((s) => s in SLOT_PARTITIONS);
  for (const slot of order) {
    const raw = env[`BOOT_${slot}_LEFT`];
    // U-Boot treats a missing counter as the default of 3 tries
    const left = raw === undefined ? 3 : Number.parseInt(raw, 10);
    if (Number.isFinite(left) && left > 0) return { slot, leftAfter: left - 1 };
  }
  return undefined;
}
