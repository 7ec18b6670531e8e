# OTA update polling (specs/update-polling). The timer and service are the twin's
# unit files; the options below only choose whether they are installed and which
# server URL and interval the service gets through a drop-in.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.os-upgrade;
  units = import ../nix/unit-files.nix { inherit lib; };
in
{
  options.os-upgrade = {
    useHawkbit = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Reserve the hawkBit path: drop os-upgrade.timer/os-upgrade.service and
        install rauc-hawkbit-updater (no hawkBit service is configured yet).
      '';
    };
    pollingInterval = lib.mkOption {
      type = lib.types.str;
      default = "1h";
      description = "OnUnitActiveSec= of os-upgrade.timer.";
    };
    serverUrl = lib.mkOption {
      type = lib.types.str;
      default = "http://localhost/updates";
      description = "Update server URL used when /data/config/os-upgrade.json does not name one.";
    };
  };

  config = lib.mkMerge [
    (lib.mkIf (!cfg.useHawkbit) {
      systemd.units = units.install [
        ../device/units/os-upgrade.service
        ../device/units/os-upgrade.timer
      ];
      # Drop-ins carry the option values; the unit bodies stay the twin's files.
      systemd.services.os-upgrade = {
        overrideStrategy = "asDropin";
        environment.OS_UPGRADE_URL = cfg.serverUrl;
      };
      # OnUnitActiveSec= is a list setting: a drop-in value would add a second
      # trigger next to the file's 1h, so the empty assignment resets it first.
      systemd.timers.os-upgrade = {
        overrideStrategy = "asDropin";
        timerConfig.OnUnitActiveSec = [
          ""
          cfg.pollingInterval
        ];
      };
    })
    (lib.mkIf cfg.useHawkbit {
      environment.systemPackages = [ pkgs.rauc-hawkbit-updater ];
    })
  ];
}
