import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Where the last `twin/build.sh` put the twin. The build writes
 * `<cache>/current-<arch>.json`; targets read it, so a test run never builds and
 * skips cleanly (with this message) when nothing was built.
 */
export interface TwinBuild {
  arch: string;
  /** cache key of the root (sha256 prefix of all inputs) */
  key: string;
  root: string;
  kernel?: string;
  initrd?: string;
  image?: string;
  imageSha256?: string;
  bootVfat?: string;
  /** the signed update bundle of the same build (boot.vfat + rootfs.squashfs) */
  bundle?: string;
  /** /etc/atomicnix/version of the root, also the bundle's version */
  version?: string;
  rootfs?: string;
  certs?: string;
  /** arm64: the twin's U-Boot (QEMU -bios) and the env text written into the image */
  uboot?: string;
  ubootEnv?: string;
  /** the image stage directory, holding artifacts.json: the set the `artifacts` target reads */
  artifacts?: string;
}

export function twinCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.ATOMICNIX_TWIN_CACHE ?? "/var/cache/atomicnix/twin";
}

export const NOT_BUILT_HINT = "run `npx tsx twin/run-suite.ts` (or `bash twin/build.sh`) to build it";

export function locateTwin(arch = process.env.ATOMICNIX_TWIN_ARCH ?? "amd64"): TwinBuild | { missing: string } {
  const pointer = join(twinCache(), `current-${arch}.json`);
  if (!existsSync(pointer)) return { missing: `twin (${arch}) not built: ${pointer} missing; ${NOT_BUILT_HINT}` };
  const build = JSON.parse(readFileSync(pointer, "utf8")) as TwinBuild;
  if (!existsSync(join(build.root, "usr/lib/systemd/systemd"))) return { missing: `twin root ${build.root} is gone; ${NOT_BUILT_HINT}` };
  return build;
}
