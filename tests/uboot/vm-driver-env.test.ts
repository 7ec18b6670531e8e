import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Static check: on the U-Boot path the VM driver never writes the U-Boot env to
 * steer a boot. The only env write of that path is ubootEmulatorFault's (giving
 * back a try U-Boot took for an attempt that never reached /init), and it is logged
 * in envWrites; the direct-kernel path (amd64, bootmeth.ts) is not reachable once
 * a bios is given.
 */
const source = readFileSync(join(import.meta.dirname, "../../conformance/targets/vm/vm.ts"), "utf8");

/** class members of vm.ts by name, each with its body text (up to the next member at two-space indent) */
function members(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^ {2}(?:private |readonly |static |async |get )*([A-Za-z_]\w*)\s*[(:=<]/gm;
  const found = [...text.matchAll(re)];
  found.forEach((m, i) => out.set(m[1]!, text.slice(m.index, found[i + 1]?.index ?? text.length)));
  return out;
}

const all = members(source);
/** members that run on the U-Boot path: reachable from nextUbootBoot and the U-Boot QEMU handlers */
function reachable(from: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...from];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name) || !all.has(name)) continue;
    seen.add(name);
    // with a bios, powerOn returns nextUbootBoot's result first (checked above)
    if (name === "powerOn") {
      todo.push("nextUbootBoot");
      continue;
    }
    for (const m of all.get(name)!.matchAll(/this\.(\w+)\s*\(/g)) todo.push(m[1]!);
  }
  return seen;
}

describe("VM driver and the U-Boot env", () => {
  it("finds the driver's members", () => {
    for (const name of ["powerOn", "nextUbootBoot", "spawnUbootQemu", "ubootEmulatorFault", "selectSlot"]) expect(all.has(name), name).toBe(true);
  });

  it("powerOn hands a bios boot to U-Boot before the driver's own bootmeth could run", () => {
    const body = all.get("powerOn")!;
    expect(body.indexOf("if (this.options.bios) return this.nextUbootBoot(wait);")).toBeGreaterThan(-1);
    expect(body.indexOf("if (this.options.bios) return this.nextUbootBoot(wait);")).toBeLessThan(body.indexOf("this.selectSlot()"));
  });

  it("the U-Boot path writes the env only in ubootEmulatorFault, and logs that write", () => {
    const path = reachable(["nextUbootBoot", "spawnUbootQemu", "onUbootEvent", "onUbootQemuExit", "watchConsole", "waitForOff", "reboot", "cutPower", "powerCut", "start"]);
    expect(path.has("selectSlot"), "the driver's bootmeth is not on the U-Boot path").toBe(false);
    const writers = [...path].filter((name) => /fw_setenv|mkenvimage|writeSync|createWriteStream|"dd"/.test(all.get(name)!));
    expect(writers).toEqual(["ubootEmulatorFault"]);
    const fault = all.get("ubootEmulatorFault")!;
    expect(fault.indexOf("this.envWrites.push(")).toBeGreaterThan(fault.indexOf("fw_setenv"));
  });
});
