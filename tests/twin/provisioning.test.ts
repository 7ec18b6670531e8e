import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { ContainerTarget } from "../../conformance/targets/container/container.js";
import { must, run } from "../../conformance/targets/driver.js";
import { configToml, hostKey, twinBuildOrSkip } from "./device.js";

// Provisioning sources on the nspawn twin, with a USB medium: a vfat image on a host
// loop device passed into the container, its label link in /dev/disk/by-label (there is
// no udev in the container to make it).
// Not bound here: prov.sources.stored needs first-boot.service to end successfully,
// which takes a successful quadlet-sync, and rootless podman cannot store images on
// this twin (overlay over overlayfs); the VM twin runs it.
const REPO = new URL("../..", import.meta.url).pathname;

/** sha256 of every file reached through dir (symlinks followed), by path. */
function snapshot(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    // a link whose target is absent (the importer links optional outputs) is kept as its text
    if (!existsSync(p)) out[rel] = `dangling -> ${readlinkSync(p)}`;
    else if (statSync(p).isDirectory()) Object.assign(out, snapshot(p, rel));
    else out[rel] = createHash("sha256").update(readFileSync(p)).digest("hex");
  }
  return out;
}

scenario("prov.sources.sentinel", { targets: ["container"], timeout: 240_000 }, async ({ context }) => {
  const build = twinBuildOrSkip(context);
  const scratch = mkdtempSync(join(tmpdir(), "atomicnix-sources-"));
  const dataDir = join(scratch, "data");
  let loop: string | undefined;
  let t: ContainerTarget | undefined;
  try {
    // the stored state: a configuration imported by the same importer the device runs, and the sentinel
    const stored = join(scratch, "stored.toml");
    writeFileSync(stored, configToml([hostKey("stored").pub]));
    await must([process.execPath, join(REPO, "dist/device/provisioning.mjs"), "import", stored, "--root", join(dataDir, "config")]);
    writeFileSync(join(dataDir, ".completed_first_boot"), "");
    // the USB medium: vfat, labelled, with a different valid config.toml at its top level
    const medium = join(scratch, "usb.img");
    const seed = join(scratch, "config.toml");
    writeFileSync(seed, configToml([hostKey("medium").pub]));
    await must(["truncate", "-s", "16M", medium]);
    await must(["mkfs.vfat", "-n", "SEED", medium]);
    await must(["mcopy", "-i", medium, seed, "::config.toml"]);
    loop = (await must(["losetup", "-f", "--show", medium])).trim();
    const byLabel = join(scratch, "by-label");
    mkdirSync(byLabel);
    symlinkSync(`/dev/${basename(loop)}`, join(byLabel, "SEED"));
    const before = snapshot(join(dataDir, "config"));
    expect(Object.keys(before)).toContain("config.toml");
    t = new ContainerTarget({
      root: build.root, dataDir, logDir: join(scratch, "log"), imageHash: build.key, netPrefix: `ps${process.pid % 10000}`,
      extraArgs: ["--bind=/dev/loop-control", `--bind=${loop}`, `--bind-ro=${byLabel}:/dev/disk/by-label`],
    });
    await t.start();
    // the medium is attached as first-boot's scan looks for it: a label link resolving to a block device
    expect(await t.succeed(`readlink -f /dev/disk/by-label/SEED && test -b ${loop} && echo block`)).toBe(`${loop}\nblock\n`);
    expect(await t.succeed("systemctl show -p ConditionResult first-boot.service")).toBe("ConditionResult=no\n");
    expect(await t.succeed("systemctl show -P ActiveState first-boot.service")).toBe("inactive\n");
    expect(snapshot(join(dataDir, "config")), "files under /data/config after the boot").toEqual(before);
    // the medium's config.toml is valid for the device's own validator (read on the host:
    // this host's kernel has no vfat, so the container could not mount it either way,
    // and the first-boot condition above is what keeps the medium out)
    const copy = join(scratch, "from-medium.toml");
    await must(["mcopy", "-i", medium, "::config.toml", copy]);
    await must([process.execPath, join(REPO, "dist/device/provisioning.mjs"), "validate", copy]);
  } finally {
    await t?.stop();
    if (loop) await run(["losetup", "-d", loop]);
    rmSync(scratch, { recursive: true, force: true });
  }
});
