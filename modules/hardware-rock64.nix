# Rock64 (RK3328): RK3328 drivers, device tree, eMMC slot devices and the SPI
# U-Boot environment. Everything else comes from base.nix.
{ lib, ... }:
let
  # The eMMC as Linux names it (mmc 1 in U-Boot). Partition numbers follow
  # specs/partition-layout: boot-a, rootfs-a, boot-b, rootfs-b, data.
  emmc = "/dev/mmcblk1";
in
{
  imports = [
    ./kernel-config.nix
    ./base.nix
    ./serial-recovery.nix
  ];

  nixpkgs.hostPlatform = "aarch64-linux";

  atomicnix.rootDevice = emmc;

  atomicnix.rauc = {
    bootloader = "uboot";
    slots = {
      boot0 = "${emmc}p1";
      rootfs0 = "${emmc}p2";
      boot1 = "${emmc}p3";
      rootfs1 = "${emmc}p4";
    };
  };

  hardware.deviceTree.name = "rockchip/rk3328-rock64.dtb";

  boot.kernelPatches = [
    {
      name = "atomicnix-rk3328";
      patch = null;
      structuredExtraConfig = with lib.kernel; {
        # eMMC, the onboard GMAC, the OTG/host controllers and the SoC watchdog.
        MMC_DW = lib.mkForce yes;
        MMC_DW_ROCKCHIP = lib.mkForce yes;
        STMMAC_ETH = lib.mkForce yes;
        DWMAC_ROCKCHIP = lib.mkForce yes;
        DWC2 = lib.mkForce yes;
        DW_WATCHDOG = lib.mkForce yes;
      };
    }
  ];

  boot.kernelParams = [
    "console=ttyS2,1500000"
    "earlycon"
  ];

  # fw_printenv/fw_setenv reach the single SPI flash environment (boot.fw-env).
  environment.etc."fw_env.config".source = ../device/etc/fw_env.config;
}
