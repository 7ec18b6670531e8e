# Post-update health check: oneshot, after multi-user.target, skipped on the first
# boot (first-boot.service commits that one). The unit file is the twin's.
{ lib, ... }:
let
  units = import ../nix/unit-files.nix { inherit lib; };
in
{
  systemd.units = units.install [ ../device/units/os-verification.service ];
}
