/**
 * What U-Boot and the kernel said on the twin's serial console, cut into power-on
 * or reset cycles. The twin's U-Boot prints its banner at every reset; its RAUC boot
 * method prints which slot it chose and how many tries it had before the
 * decrement ("INFO: Booting slot A, 3 of 3 tries left"), or that every slot was at
 * zero ("INFO: Resetting all slot tries to 3") before it resets the machine.
 * These lines are the evidence of what the bootloader did: the VM driver reads them,
 * it never chooses.
 */
export interface UbootCycle {
  /** offset of this cycle's banner in the console text */
  start: number;
  /** the console text of this cycle (banner up to the next banner or the end) */
  text: string;
  /** slot the RAUC boot method booted, from its own line */
  slot?: string;
  /** BOOT_<slot>_LEFT before U-Boot decremented it */
  triesBefore?: number;
  /** U-Boot found every slot at zero, reset the counters and the machine */
  resetAllTries: boolean;
  /** "Starting kernel ..." was printed (booti handed over to Linux) */
  kernelStarted: boolean;
  /** the kernel started userspace (/init of the initrd) */
  initStarted: boolean;
  /** a kernel panic line, if any */
  panic?: string;
}

const UBOOT_BANNER = /^U-Boot \d{4}\.\d{2}\S* \(/m;
const BOOTING = /INFO: Booting slot (\S+), (\d+) of (\d+) tries left/;

export function ubootCycles(console: string): UbootCycle[] {
  const starts: number[] = [];
  const banner = new RegExp(UBOOT_BANNER.source, "gm");
  for (let m = banner.exec(console); m; m = banner.exec(console)) starts.push(m.index);
  return starts.map((start, i) => {
    const text = console.slice(start, starts[i + 1] ?? console.length);
    const booting = BOOTING.exec(text);
    return {
      start,
      text,
      slot: booting?.[1],
      triesBefore: booting ? Number(booting[2]) : undefined,
      resetAllTries: /INFO: Resetting all slot tries to \d+/.test(text),
      kernelStarted: /Starting kernel \.\.\./.test(text),
      initStarted: /Run \/init as init process/.test(text),
      panic: /Kernel panic[^\r\n]*/.exec(text)?.[0],
    };
  });
}

/** U-Boot's own lines of a cycle (everything before the kernel's first line), for evidence. */
export function ubootLines(cycle: UbootCycle): string[] {
  const end = cycle.text.search(/^\[\s*\d+\.\d+\] /m);
  return (end < 0 ? cycle.text : cycle.text.slice(0, end)).split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l !== "");
}
