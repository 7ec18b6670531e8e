# Hardware watchdog. The current release leaves systemd's watchdog settings
# UNSET (wdog.unset): PID 1 does not arm dw_wdt until Rock64 boot reliability is
# validated on hardware. The deferred target (wdog.enforcement, status planned):
#
#   systemd.settings.Manager = {
#     # RuntimeWatchdogSec = "30s";
#     # RebootWatchdogSec = "10min";
#   };
#
# Enabling it is the change specs/changes/enable-hardware-watchdog.
{ lib, pkgs, ... }:
let
  units = import ../nix/unit-files.nix { inherit lib; };
in
{
  systemd.settings.Manager = {
    # RuntimeWatchdogSec = "30s";
    # RebootWatchdogSec = "10min";
  };

  # Boot-count bookkeeping runs regardless: every boot logs slot and attempts left.
  # The script reads the counters with fw_printenv from the unit's PATH
  # (/run/current-system/sw/bin on NixOS).
  systemd.units = units.install [ ../device/units/watchdog-boot-count.service ];
  environment.systemPackages = [ pkgs.libubootenv ];
}
