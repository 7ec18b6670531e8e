# Rock64 (RK3328): RK3328 drivers, device tree, eMMC slot devices and the SPI
# U-Boot environment. Everything else comes from base.nix.
{ lib, ... }:
let
  # The eMMC as Linux names it (mmc 1 in U-Boot). Partition numbers are the slot map
  # of specs/partition-layout's table, compiled into generated/layout.
  emmc = "/dev/mmcblk1";
  layout = builtins.fromJSON (builtins.readFile ../generated/layout/partition-layout.json);
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
      boot0 = "${emmc}p${toString layout.slots.A.boot}";
      rootfs0 = "${emmc}p${toString layout.slots.A.rootfs}";
      boot1 = "${emmc}p${toString layout.slots.B.boot}";
      rootfs1 = "${emmc}p${toString layout.slots.B.rootfs}";
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
