# Rock64 U-Boot with the RAUC boot method (boot.cmd relies on it to pick the slot
# from BOOT_ORDER/BOOT_<x>_LEFT and decrement the counter) and its environment in
# SPI flash at 0x140000 (one 8 KiB copy, matching device/etc/fw_env.config).
# Outputs idbloader.img and u-boot.itb for build-image.sh.
#
# The Kconfig lines are plain files shared with the twin's U-Boot
# (twin/build-uboot.sh): scripts/uboot-rauc.config (boot order, partitions, tries,
# bootmeths=rauc) and scripts/uboot-rock64.config (the board). nixpkgs 25.11's ubootRock64
# is 2025.10, whose RAUC boot method rejects squashfs roots and a fresh flash
# without partitions 3 and 4 (fixed upstream by 2026.01): the source is the same
# U-Boot release the twin builds, pinned by its tag's commit.
{ ubootRock64 }:
let
  version = "2026.07";
  src = builtins.fetchGit {
    url = "https://source.denx.de/u-boot/u-boot.git";
    ref = "refs/tags/v${version}";
    rev = "ece349ade2973e220f524ce59e59711cc919263f";
    shallow = true;
  };
in
(ubootRock64.override {
  extraConfig = builtins.readFile ./scripts/uboot-rauc.config + builtins.readFile ./scripts/uboot-rock64.config;
}).overrideAttrs
  (_: {
    inherit version src;
    # nixpkgs' patches are for its own U-Boot release
    patches = [ ];
  })
