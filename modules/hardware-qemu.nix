# QEMU aarch64-virt target: the same system as the Rock64 with virtio devices. Like
# the twin, it keeps RAUC's real `uboot` backend with the U-Boot environment at a raw
# offset of the virtio disk, and the conformance kit's VM driver plays the RAUC
# bootmeth from the host (nixosConfigurations.rock64-qemu).
{
  config,
  lib,
  modulesPath,
  ...
}:
let
  disk = "/dev/vda";
  # The slot map of specs/partition-layout's table, compiled into generated/layout.
  layout = builtins.fromJSON (builtins.readFile ../generated/layout/partition-layout.json);
in
{
  imports = [
    (modulesPath + "/profiles/qemu-guest.nix")
    ./kernel-config.nix
    ./base.nix
  ];

  nixpkgs.hostPlatform = "aarch64-linux";

  atomicnix.rootDevice = disk;

  # The twin's file, installed unchanged: the virtual row of specs/partition-layout's
  # env table (tests/layout-facts.test.ts holds the file to it).
  environment.etc."fw_env.config".source = ../device/etc/fw_env.virtio.config;

  atomicnix.rauc = {
    bootloader = "uboot";
    slots = {
      boot0 = "${disk}${toString layout.slots.A.boot}";
      rootfs0 = "${disk}${toString layout.slots.A.rootfs}";
      boot1 = "${disk}${toString layout.slots.B.boot}";
      rootfs1 = "${disk}${toString layout.slots.B.rootfs}";
    };
  };

  boot.kernelPatches = [
    {
      name = "atomicnix-qemu-virt";
      patch = null;
      structuredExtraConfig = with lib.kernel; {
        VIRTIO_BLK = lib.mkForce yes;
        VIRTIO_NET = lib.mkForce yes;
        VIRTIO_PCI = lib.mkForce yes;
        VIRTIO_MMIO = lib.mkForce yes;
        # The virtual watchdog of wdog.rollback-feed.vm.
        I6300ESB_WDT = lib.mkForce yes;
      };
    }
  ];

  boot.kernelParams = [ "console=ttyAMA0" ];

  # `nix run .#rock64-qemu-vm`: two NICs in the same order as the board (WAN, LAN)
  # and SSH forwarded to the host for `--target vm` runs of the conformance kit.
  # The VM boots the product's disk (nix/tests/vm-disk.nix: boot-a, rootfs-a
  # squashfs, repart adds the rest) under the tmpfs overlay: qemu-vm.nix would
  # otherwise replace fileSystems with its ext4 root and the host's store.
  virtualisation.vmVariant = vm: {
    boot.kernelParams = [
      "rauc.slot=A"
      "atomicnix.lowerdev=${disk}${toString layout.slots.A.rootfs}"
    ];
    virtualisation = {
      useDefaultFilesystems = false;
      fileSystems = vm.config.atomicnix.fileSystems;
      mountHostNixStore = false;
      writableStore = false;
      memorySize = 1024;
      cores = 2;
      graphics = false;
      qemu.networkingOptions = lib.mkForce [
        "-netdev user,id=wan"
        "-device virtio-net-pci,netdev=wan,mac=52:54:00:12:34:01"
        # SSH reaches the gateway from its LAN side, where the ruleset accepts it:
        # QEMU's user network plays the LAN subnet and forwards to 172.20.30.1:22.
        "-netdev user,id=lan,net=172.20.30.0/24,host=172.20.30.2,dhcpstart=172.20.30.100,hostfwd=tcp:127.0.0.1:2222-172.20.30.1:22"
        "-device virtio-net-pci,netdev=lan,mac=52:54:00:12:34:02"
      ];
      qemu.options = [ "-device i6300esb" "-action watchdog=reset" ];
    };
  };
  system.name = "gateway";
}
