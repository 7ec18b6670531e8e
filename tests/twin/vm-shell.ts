import type { TargetBase } from "../../conformance/targets/driver.js";

/**
 * The binding options of the QEMU twins' scenarios. The timeout is a hang guard: on a
 * slow, loaded CI machine one rollback (an install and four TCG boots) has taken 15
 * minutes; the waits inside bound each step.
 */
export const SLOW = { targets: ["vm"] as const, timeout: 2_400_000 };

/** What the QEMU twins' suites read through the device's root shell, on either driver. */
interface RaucSlot {
  bootname: string | null;
  state: string;
  boot_status: string | null;
}

export async function raucStatus(vm: TargetBase): Promise<{ booted: string; slots: Record<string, RaucSlot> }> {
  const s = JSON.parse(await vm.succeed("rauc status --output-format=json")) as { booted: string; slots: Record<string, RaucSlot>[] };
  return { booted: s.booted, slots: Object.assign({}, ...s.slots) as Record<string, RaucSlot> };
}

/** The host's bundle folder, shared read-only over 9p, at /mnt/host. */
export async function mountShare(vm: TargetBase): Promise<void> {
  await vm.succeed("mountpoint -q /mnt/host || { mkdir -p /mnt/host && mount -t 9p -o trans=virtio,ro host /mnt/host; }");
}

export async function cmdlineSlot(vm: TargetBase): Promise<string | undefined> {
  return /rauc\.slot=(\S+)/.exec(await vm.succeed("cat /proc/cmdline"))?.[1];
}

/**
 * Waits until multi-user.target is active and os-verification.service has run or been
 * skipped on this boot (no job queued, not activating): nothing of the device is about
 * to mark the slot or reboot it.
 */
export async function verificationSettled(vm: TargetBase, timeoutMs = 300_000): Promise<void> {
  await vm.waitUntil(
    'systemctl is-active -q multi-user.target && [ -z "$(systemctl list-jobs --no-legend os-verification.service)" ] && [ "$(systemctl show -P ActiveState os-verification.service)" != activating ]',
    "multi-user.target and os-verification settled",
    timeoutMs,
  );
}
