# Logging tiers: volatile, capped journald as ingress, rsyslog draining it into
# buffered files under /data/logs, and a flush on shutdown (specs/logging).
{ lib, ... }:
let
  units = import ../nix/unit-files.nix { inherit lib; };
in
{
  # The journald settings are the twin's drop-in, installed unchanged.
  environment.etc."systemd/journald.conf.d/50-atomicnix.conf".source =
    ../device/etc/systemd/journald.conf.d/50-atomicnix.conf;

  services.rsyslogd = {
    enable = true;
    defaultConfig = "";
    extraConfig = builtins.readFile ../device/etc/rsyslog/atomicnix.conf;
  };

  systemd.units = units.install [ ../device/units/logging-shutdown-flush.service ];
}
