import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ubootCycles, ubootLines } from "../../conformance/targets/vm/uboot-console.js";

/** The console parser the VM driver follows U-Boot with, on a console the twin's U-Boot printed. */
const real = readFileSync(join(import.meta.dirname, "../fixtures/uboot/console-dummy-kernel.log"), "utf8");

describe("U-Boot console cycles", () => {
  it("reads the slot and the tries before the decrement from the RAUC boot method's own line", () => {
    const [c, ...rest] = ubootCycles(real);
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ slot: "A", triesBefore: 3, resetAllTries: false, kernelStarted: false, initStarted: false });
    expect(ubootLines(c!)).toEqual(expect.arrayContaining(["Loading Environment from MMC... Reading from MMC(0)... OK", "INFO: Booting slot A, 3 of 3 tries left"]));
  });

  it("cuts the console at every banner: resets, the all-zero reset, a kernel that reached /init", () => {
    const text = [
      "U-Boot 2026.07 (Dec 02 2026 - 00:50:17 +0000)", "INFO: Booting slot B, 1 of 3 tries left", "Starting kernel ...", "[    0.000000] Booting Linux", "[    1.2] Kernel panic - not syncing: Attempted to kill init!",
      "U-Boot 2026.07 (Dec 02 2026 - 00:50:17 +0000)", "WARNING: No valid slot found", "INFO: Resetting all slot tries to 3",
      "U-Boot 2026.07 (Dec 02 2026 - 00:50:17 +0000)", "INFO: Booting slot A, 3 of 3 tries left", "Starting kernel ...", "[    2.0] Run /init as init process",
    ].join("\n");
    const cycles = ubootCycles(text);
    expect(cycles.map((c) => [c.slot, c.triesBefore, c.resetAllTries, c.kernelStarted, c.initStarted, c.panic !== undefined])).toEqual([
      ["B", 1, false, true, false, true],
      [undefined, undefined, true, false, false, false],
      ["A", 3, false, true, true, false],
    ]);
    expect(ubootLines(cycles[0]!).at(-1)).toBe("Starting kernel ...");
  });

  it("finds no cycle in a console without a U-Boot banner (a direct kernel boot)", () => {
    expect(ubootCycles("[    0.000000] Booting Linux on physical CPU 0x0\n")).toEqual([]);
  });
});
