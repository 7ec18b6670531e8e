import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian's u-boot-qemu build for `qemu-system-aarch64 -M virt`. */
const QEMU_ARM64_UBOOT = "/usr/lib/u-boot/qemu_arm64/u-boot.bin";

export interface UbootRun {
  /** serial console text, carriage returns removed */
  console: string;
  /** the run stopped because `until` matched (not by timeout) */
  matched: boolean;
  elapsedMs: number;
}

/**
 * Boots a disk image in QEMU's arm64 U-Boot until the console matches `until`,
 * then stops QEMU. U-Boot's distro boot finds boot.scr on the first partition and
 * runs it, so this executes the compiled boot script in a real U-Boot hush shell.
 * `-snapshot` keeps the image file unchanged.
 */
export function runInQemuUboot(image: string, opts: { until: RegExp; timeoutMs?: number; uboot?: string }): Promise<UbootRun> {
  const uboot = opts.uboot ?? QEMU_ARM64_UBOOT;
  if (!existsSync(uboot)) throw new Error(`${uboot} not found: install u-boot-qemu (see scripts/setup.sh)`);
  const args = [
    "-M", "virt", "-cpu", "cortex-a53", "-m", "512", "-nographic", "-nodefaults", "-serial", "stdio",
    "-bios", uboot, "-snapshot", "-no-reboot",
    "-drive", `if=none,file=${image},format=raw,id=disk0`, "-device", "virtio-blk-device,drive=disk0",
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const qemu = spawn("qemu-system-aarch64", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let done = false;
    const finish = (matched: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      qemu.kill("SIGKILL");
      resolve({ console: out.replace(/\r/g, ""), matched, elapsedMs: Math.round(performance.now() - started) });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 60_000);
    qemu.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("latin1");
      if (opts.until.test(out.replace(/\r/g, ""))) finish(true);
    });
    qemu.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
    qemu.on("error", (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject((e as NodeJS.ErrnoException).code === "ENOENT" ? new Error("qemu-system-aarch64 not found: install qemu-system-arm (see scripts/setup.sh)") : e);
    });
    qemu.on("exit", (code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`qemu-system-aarch64 exited ${code} before the console matched ${opts.until}: ${err.trim()}\n${out}`));
    });
  });
}
