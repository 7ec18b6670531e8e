/**
 * The seams where the Nix firmware and the twin could part without any test
 * noticing: the kernel command line boot.cmd builds, the PATH a unit file runs
 * with, and the tools units, scripts, runtime and initrd call. Each check is also
 * run on an edited copy of the tree that reintroduces the defect it guards.
 */
import { expect } from "vitest";
import { scenario } from "../../conformance/binding.js";
import { checkKernelCmdline } from "../../nix/checks/kernel-cmdline.js";
import { NixRepo, repoRoot, type Finding } from "../../nix/checks/repo.js";
import { checkTools } from "../../nix/checks/unit-tools.js";
import { checkUnitPath } from "../../nix/checks/unit-path.js";
import { mutatedRepo } from "./mutated-repo.js";

const onHost = { targets: ["host"] } as const;
const root = repoRoot();
const repo = new NixRepo(root);
const show = (f: Finding[]): string => f.map((x) => `${x.file} ${x.where}: ${x.message}`).join("\n");
const mutated = (file: string, from: string | RegExp, to: string): NixRepo => mutatedRepo(root, file, from, to);
const PATH_LINE = "Environment=PATH=/run/current-system/sw/bin:/usr/sbin:/usr/bin:/sbin:/bin\n";

scenario("build.nix-definition.kernel-cmdline", onHost, () => {
  expect(show(checkKernelCmdline(repo))).toBe("");
  // The line as it was shipped: no init=, console and panic typed into boot.cmd.
  const shipped = mutated("nix/scripts/boot.cmd", "${atomicnix_kernel_params} root=fstab ${raucargs} atomicnix.lowerdev=${atomicnix_lowerdev} rootwait", "console=ttyS2,1500000 earlycon root=fstab ${raucargs} atomicnix.lowerdev=${atomicnix_lowerdev} rootwait panic=10");
  expect(show(checkKernelCmdline(shipped))).toMatch(/no init= reaches the kernel/);
  // A hard-coded parameter the NixOS configuration does not have.
  expect(show(checkKernelCmdline(mutated("nix/scripts/boot.cmd", " rootwait ", " rootwait console=ttyS0 ")))).toMatch(/hard-coded console=ttyS0 is not in boot.kernelParams of rock64/);
  // A parameter dropped from the module is then hard-coded in boot.cmd only.
  expect(show(checkKernelCmdline(mutated("nix/scripts/boot.cmd", " rootwait ", " rootwait panic=5 ")))).toMatch(/hard-coded panic=5/);
  // The derivation must generate init= from the system's toplevel and pass the configuration's parameters.
  expect(show(checkKernelCmdline(mutated("nix/boot-script.nix", '[ "init=${nixosConfig.system.build.toplevel}/init" ] ++ ', "")))).toMatch(/does not start with "init=/);
  expect(show(checkKernelCmdline(mutated("nix/boot-script.nix", "++ nixosConfig.boot.kernelParams", "")))).toMatch(/boot.kernelParams/);
});

scenario("build.nix-definition.unit-path", onHost, () => {
  expect(show(checkUnitPath(repo.abs("device/units")))).toBe("");
  // A unit that relies on the image's default PATH to find node.
  const noPath = mutated("device/units/os-upgrade.service", PATH_LINE, "");
  expect(show(checkUnitPath(noPath.abs("device/units")))).toMatch(/os-upgrade\.service:\d+ ExecStart: runs node through PATH but the unit sets no Environment=PATH=/);
  // A PATH without NixOS's system path finds nothing there.
  const debianOnly = mutated("device/units/first-boot.service", PATH_LINE, "Environment=PATH=/usr/sbin:/usr/bin:/sbin:/bin\n");
  expect(show(checkUnitPath(debianOnly.abs("device/units")))).toMatch(/first-boot\.service.*without \/run\/current-system\/sw\/bin/);
});

scenario("build.nix-definition.tools", onHost, () => {
  expect(show(checkTools(repo))).toBe("");
  // systemd-repart's Format=vfat needs mkfs.vfat in the initrd.
  expect(show(checkTools(mutated("modules/tools.nix", '    "mkfs.vfat" = pkgs.dosfstools;\n', "")))).toMatch(/systemd\.repart\.partitions\.30-boot-b\.Format initrd: calls mkfs\.vfat/);
  // The shipped form: store paths copied into the initrd but not on its PATH.
  expect(show(checkTools(mutated("modules/tools.nix", /boot\.initrd\.systemd\.extraBin = .*\n/, "boot.initrd.systemd.storePaths = builtins.attrValues initrdTools;\n")))).toMatch(/does not put initrdTools on the initrd's PATH/);
  // A unit calling a tool nothing declares.
  expect(show(checkTools(mutated("device/units/os-upgrade.service", PATH_LINE, PATH_LINE + "ExecStartPre=/usr/bin/env fw_setenv BOOT_ORDER A\n")))).toMatch(/os-upgrade\.service:\d+ system: calls fw_setenv/);
  // A script calling one, and a declared tool no longer used.
  expect(show(checkTools(mutated("device/scripts/watchdog-boot-count.sh", /fw_printenv -n/g, "fw_getenv -n")))).toMatch(/calls fw_getenv[\s\S]*declares fw_printenv, which nothing on the system calls/);
  // The runtime's child processes count too.
  expect(show(checkTools(mutated("device/network/nft.ts", 'DEFAULT_NFT: NftCommand = ["nft"]', 'DEFAULT_NFT: NftCommand = ["nft-legacy"]')))).toMatch(/device\/network\/nft\.ts:\d+ system: calls nft-legacy/);
});
