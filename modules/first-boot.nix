# First boot: provisioning import (fresh-flash /boot/config.toml, USB media or
# the LAN bootstrap console), Quadlet sync, LAN/firewall apply, slot commit and
# the /data/.completed_first_boot sentinel. All of it is the twin's unit files
# and the bundled runtime.
{ lib, ... }:
let
  units = import ../nix/unit-files.nix { inherit lib; };
in
{
  systemd.units = units.install [
    ../device/units/boot-slot-mount.service
    ../device/units/first-boot.service
    ../device/units/quadlet-sync.service
    ../device/units/bootstrap-console.service
  ];

  # Rootless Quadlet applications run as this user (device/quadlet).
  users.users.appsvc = {
    isNormalUser = true;
    hashedPassword = "!";
    linger = true;
    autoSubUidGidRange = true;
  };
}
