import { existsSync } from "node:fs";
import { expect } from "vitest";
import { mutatedRepo } from "./mutated-repo.js";
import { scenario } from "../../conformance/binding.js";
import { checkClosureOptions } from "../../nix/checks/closure.js";
import { checkFlakeOutputs } from "../../nix/checks/flake-outputs.js";
import { checkKernelConfig } from "../../nix/checks/kernel-symbols.js";
import { NixRepo, repoRoot, type Finding } from "../../nix/checks/repo.js";
import { FAKE_HASH, checkReleaseSeries, readFlakeLock } from "../../nix/checks/release-pin.js";
import { checkRuntimeFiles } from "../../nix/checks/runtime-files.js";
import { checkSlotMap } from "../../nix/checks/slot-map.js";
import { checkWatchdogUnset } from "../../nix/checks/watchdog.js";

const onHost = { targets: ["host"] } as const;
const root = repoRoot();
const repo = new NixRepo(root);
const show = (f: Finding[]): string => f.map((x) => `${x.file} ${x.where}: ${x.message}`).join("\n");

const mutated = (file: string, from: string | RegExp, to: string): NixRepo => mutatedRepo(root, file, from, to);

scenario("build.flake-outputs.names", onHost, () => {
  expect(show(checkFlakeOutputs(repo))).toBe("");
  // A missing package and a Darwin set that is not the Linux one are both caught.
  expect(show(checkFlakeOutputs(mutated("flake.nix", "          uboot\n          boot-script\n", "          uboot\n")))).toMatch(/packages\.aarch64-linux\.boot-script: not defined/);
  expect(show(checkFlakeOutputs(mutated("flake.nix", "aarch64-darwin = linuxPackages;", "aarch64-darwin = { };")))).toMatch(/aarch64-darwin/);
  expect(show(checkFlakeOutputs(mutated("flake.nix", "rock64-qemu = rock64QemuSystem;", "")))).toMatch(/nixosConfigurations\.rock64-qemu: not defined/);
});

scenario("build.release-pin.series", onHost, ({ context }) => {
  expect(show(checkReleaseSeries(repo))).toBe("");
  expect(show(checkReleaseSeries(mutated("nix/image.nix", 'imageName = "atomicnix-${releaseSeries}.img";', 'imageName = "atomicnix-25.11.img";')))).toMatch(/literal 25\.11/);
  // Only Nix can lock the input (revision and content hash). The lock that was
  // committed with a placeholder hash and an invented date stopped every command, so
  // none is committed: the first `nix flake lock` writes it (docs/nix.md).
  if (!existsSync(repo.abs("flake.lock"))) {
    context.skip("no flake.lock is committed: `nix flake lock` on a machine with Nix pins nixos-25.11 (docs/nix.md, first run)");
    return;
  }
  const lock = readFlakeLock(repo);
  expect(show(lock.findings)).toBe("");
  expect(lock.ref).toBe("nixos-25.11");
  if (lock.narHash === FAKE_HASH) throw new Error("flake.lock narHash is the lib.fakeHash placeholder: every Nix command fails with a NAR hash mismatch");
});

scenario("build.nix-definition.runtime-files", onHost, () => {
  // The mutations first, so they are proven even while the clean run below still
  // names shared files other areas have not written yet.
  expect(show(checkRuntimeFiles(mutated("modules/firewall.nix", "../device/units/ssh-wan-reload.service", "../device/units/ssh-wan-reload-typo.service")))).toMatch(/ssh-wan-reload-typo\.service does not exist/);
  // Dropping a unit the twin ships is caught from the other direction.
  expect(show(checkRuntimeFiles(mutated("modules/firewall.nix", "../device/units/ssh-wan-reload.service", "")))).toMatch(/device\/units\/ssh-wan-reload\.service .*not installed/);
  // A config re-typed outside the shared files is not accepted either.
  expect(show(checkRuntimeFiles(mutated("modules/lan-gateway.nix", "../device/etc/chrony/atomicnix.conf", "../modules/base.nix.conf")))).toMatch(/not a shared file|does not exist/);
  expect(show(checkRuntimeFiles(repo))).toBe("");
});

scenario("build.nix-definition.kernel", onHost, () => {
  expect(show(checkKernelConfig(repo))).toBe("");
  expect(show(checkKernelConfig(mutated("modules/kernel-config.nix", "WLAN = lib.mkForce no;", "WLAN = lib.mkForce module;")))).toMatch(/WLAN: =m, spec wants not set/);
  expect(show(checkKernelConfig(mutated("modules/hardware-rock64.nix", "DW_WATCHDOG = lib.mkForce yes;", "")))).toMatch(/DW_WATCHDOG: not declared/);
});

scenario("build.nix-definition.closure", onHost, () => {
  expect(show(checkClosureOptions(repo))).toBe("");
  expect(show(checkClosureOptions(mutated("modules/base.nix", "security.sudo.enable = false;", "security.sudo.enable = true;")))).toMatch(/security\.sudo\.enable: is true/);
  // The override as shipped: criu = null leaves -lcriu in the link flags.
  expect(show(checkClosureOptions(mutated("flake.nix", /crun = prev\.crun\.overrideAttrs \([\s\S]*?\n        \);\n/, "crun = prev.crun.override { criu = null; };\n")))).toMatch(/fails to link/);
  expect(show(checkClosureOptions(mutated("flake.nix", '[ "-lcriu" ]', '[ "-lfoo" ]')))).toMatch(/does not drop criu/);
});

scenario("build.nix-definition.watchdog", onHost, () => {
  expect(show(checkWatchdogUnset(repo))).toBe("");
  expect(show(checkWatchdogUnset(mutated("modules/watchdog.nix", '  systemd.settings.Manager = {\n    # RuntimeWatchdogSec = "30s";', '  systemd.settings.Manager = {\n    RuntimeWatchdogSec = "30s";')))).toMatch(/RuntimeWatchdogSec is set/);
  expect(show(checkWatchdogUnset(mutated("modules/base.nix", "nix.enable = false;", 'nix.enable = false; systemd.extraConfig = "RebootWatchdogSec=10min";')))).toMatch(/configuration string sets a watchdog key/);
});

scenario("build.nix-definition.slot-map", onHost, () => {
  expect(show(checkSlotMap(repo))).toBe("");
  expect(show(checkSlotMap(mutated("modules/hardware-rock64.nix", /boot1 = .*;/, 'boot1 = "${emmc}p5";')))).toMatch(/slots\.boot1: is \/dev\/mmcblk1p5/);
  // The device numbers are read through the layout JSON: a wrong key there is caught too.
  expect(show(checkSlotMap(mutated("modules/hardware-rock64.nix", "layout.slots.B.boot", "layout.slots.B.rootfs")))).toMatch(/slots\.boot1: is \/dev\/mmcblk1p4/);
  expect(show(checkSlotMap(mutated("modules/rauc.nix", "device=${cfg.slots.rootfs1}", "device=${cfg.slots.rootfs0}")))).toMatch(/\[slot\.rootfs\.1\] device=/);
});
