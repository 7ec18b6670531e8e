# OTA update polling (specs/update-polling). The timer and service are the twin's
# unit files; the options below only choose whether they are installed and which
# server URL and interval replace the files' defaults (one line each, see
# nix/unit-files.nix replaceLine).
{
  config,
  lib,
  ...
}:
let
  cfg = config.os-upgrade;
  units = import ../nix/unit-files.nix { inherit lib; };
  # A quoted Environment= assignment: systemd reads C escapes inside the quotes and
  # expands %-specifiers, so a URL with spaces, quotes or %-encoding stays literal.
  environmentLine =
    name: value:
    "Environment=\"${
      lib.replaceStrings [ "\\" "\"" "%" ] [ "\\\\" "\\\"" "%%" ] "${name}=${value}"
    }\"";
in
{
  options.os-upgrade = {
    useHawkbit = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Reserve the hawkBit path: drop os-upgrade.timer/os-upgrade.service. Not
        usable yet: evaluation fails with an assertion until the flake packages
        rauc-hawkbit-updater (nixpkgs 25.11 has none).
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
        (units.replaceLine ../device/units/os-upgrade.service "Environment=OS_UPGRADE_URL=" (
          environmentLine "OS_UPGRADE_URL" cfg.serverUrl
        ))
        (units.replaceLine ../device/units/os-upgrade.timer "OnUnitActiveSec=" "OnUnitActiveSec=${cfg.pollingInterval}")
      ];
    })
    (lib.mkIf cfg.useHawkbit {
      # nixpkgs 25.11 has no rauc-hawkbit-updater attribute, and this flake does not
      # package one yet: evaluation stops here with a reason instead of an
      # undefined-attribute error.
      assertions = [
        {
          assertion = false;
          message = "os-upgrade.useHawkbit = true needs rauc-hawkbit-updater, which nixpkgs 25.11 does not package and this flake does not provide yet; keep os-upgrade.useHawkbit = false (os-upgrade.timer polls the update server)";
        }
      ];
    })
  ];
}
