import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mustRun } from "./exec.js";

/**
 * U-Boot environment stored at a raw offset of an image, read with libubootenv's
 * `fw_printenv` through a one-line `FILE OFFSET SIZE` fw_env.config, which is how
 * RAUC's uboot backend reaches it inside the twin.
 */
export function readUbootEnv(image: string, offset: number, size: number): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "atomicnix-fwenv-"));
  try {
    const config = join(dir, "fw_env.config");
    writeFileSync(config, `${image} 0x${offset.toString(16)} 0x${size.toString(16)}\n`);
    const text = mustRun("fw_printenv", ["-c", config]).toString("utf8");
    const env: Record<string, string> = {};
    for (const line of text.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return env;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
