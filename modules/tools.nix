# The programs the shared runtime files find on PATH, declared once: what the unit
# files of device/units/, the scripts they run (device/scripts/), the runtime
# (device/**/*.ts) and the initrd call. `systemTools` and `initrdTools` name the
# package of each tool and are put on the system path and the initrd's /bin below;
# the `*Base` lists are tools NixOS provides on its own (system-path.nix's
# requiredPackages and the systemd package; the systemd initrd's coreutils, mount
# and udevadm). Tools other programs run (RAUC's fw_setenv, Quadlet's podman) come
# with those programs' modules. tests/nix/tools.test.ts reads this file's syntax tree and fails
# when a unit, script, the runtime or the initrd calls a tool not declared here, or
# a tool declared here is not used or not wired into the path.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  systemTools = {
    node = config.atomicnix.runtime.passthru.nodejs;
    rauc = pkgs.rauc;
    fw_printenv = pkgs.libubootenv;
    nft = pkgs.nftables;
    ip = pkgs.iproute2;
  };
  systemBase = [
    # bashInteractive, coreutils-full, gnugrep, gnused, procps, util-linux
    "sh"
    "true"
    "cat"
    "basename"
    "readlink"
    "mkdir"
    "sleep"
    "sync"
    "tail"
    "grep"
    "sed"
    "pkill"
    "mount"
    "umount"
    "mountpoint"
    # systemd
    "systemctl"
    "journalctl"
    "reboot"
    "udevadm"
  ];
  # systemd-repart formats `Format=` partitions with mkfs.<fs> found on PATH.
  initrdTools = {
    "mkfs.vfat" = pkgs.dosfstools;
    "mkfs.f2fs" = pkgs.f2fs-tools;
  };
  initrdBase = [
    "cat"
    "mkdir"
    "mount"
    "udevadm"
  ];
in
{
  environment.systemPackages = builtins.attrValues systemTools;
  # /bin of the systemd initrd, its PATH; `storePaths` alone would copy the files
  # without putting them on PATH.
  boot.initrd.systemd.extraBin = lib.mapAttrs (name: pkg: "${lib.getBin pkg}/bin/${name}") initrdTools;
}
