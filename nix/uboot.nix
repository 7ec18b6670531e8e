# Rock64 U-Boot with the RAUC boot method (boot.cmd relies on it to pick the slot
# from BOOT_ORDER/BOOT_<x>_LEFT and decrement the counter) and its environment in
# SPI flash at 0x140000 (one 8 KiB copy, matching device/etc/fw_env.config).
# Outputs idbloader.img and u-boot.itb for build-image.sh.
{ ubootRock64 }:
ubootRock64.override {
  extraConfig = ''
    CONFIG_BOOTMETH_RAUC=y
    CONFIG_BOOTMETH_RAUC_BOOT_ORDER="A B"
    CONFIG_BOOTMETH_RAUC_PARTITIONS="1,2 3,4"
    CONFIG_BOOTMETH_RAUC_DEFAULT_TRIES=3
    CONFIG_ENV_IS_IN_MMC=n
    CONFIG_ENV_IS_IN_SPI_FLASH=y
    CONFIG_ENV_OFFSET=0x140000
    CONFIG_ENV_SIZE=0x2000
    CONFIG_ENV_SECT_SIZE=0x1000
    CONFIG_SYS_REDUNDAND_ENVIRONMENT=n
    CONFIG_CMD_GPIO=y
    CONFIG_CMD_USB_MASS_STORAGE=y
  '';
}
