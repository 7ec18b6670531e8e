# Stripped kernel baseline shared by both targets (specs/build-artifacts,
# build.kernel): storage, overlay root, USB host and the USB NIC/serial adapters
# the gateway supports, with every radio stack switched off. Board drivers are
# added by the hardware modules.
{ lib, pkgs, ... }:
{
  # aarch64 defconfig plus nixpkgs' common config; options that only exist with a
  # disabled radio stack would otherwise fail the config check. The artifact
  # scenario build.kernel.config reads the built .config to prove the result.
  boot.kernelPackages = pkgs.linuxPackagesFor (pkgs.linux_6_12.override { ignoreConfigErrors = true; });

  boot.kernelPatches = [
    {
      name = "atomicnix-baseline";
      patch = null;
      structuredExtraConfig = with lib.kernel; {
        # Built in: the initrd needs them before any module can load.
        USB_XHCI_HCD = lib.mkForce yes;
        USB_EHCI_HCD = lib.mkForce yes;
        USB_OHCI_HCD = lib.mkForce yes;
        SQUASHFS = lib.mkForce yes;
        SQUASHFS_ZSTD = lib.mkForce yes;
        F2FS_FS = lib.mkForce yes;
        OVERLAY_FS = lib.mkForce yes;

        # Modules: USB Ethernet and USB serial adapters used in the field.
        USB_RTL8152 = lib.mkForce module;
        USB_NET_AX88179_178A = lib.mkForce module;
        USB_NET_CDCETHER = lib.mkForce module;
        USB_SERIAL_FTDI_SIO = lib.mkForce module;
        USB_SERIAL_CP210X = lib.mkForce module;

        # No radios on a security boundary.
        WLAN = lib.mkForce no;
        CFG80211 = lib.mkForce no;
        MAC80211 = lib.mkForce no;
        RFKILL = lib.mkForce no;
        BT = lib.mkForce no;
      };
    }
  ];
}
