# RAUC A/B updates: project options (atomicnix.rauc.*) rendered into
# /etc/rauc/system.conf, the rauc service from the rauc package, and the keyring
# holding only the CA certificate (specs/rauc-integration).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.atomicnix.rauc;
  slotDevice =
    name:
    lib.mkOption {
      type = lib.types.str;
      description = "Block device of RAUC slot ${name}.";
    };
in
{
  options.atomicnix.rauc = {
    enable = lib.mkEnableOption "RAUC A/B updates" // {
      default = true;
    };
    compatible = lib.mkOption {
      type = lib.types.str;
      default = "rock64";
      description = "RAUC compatible string; bundles must declare the same.";
    };
    bootloader = lib.mkOption {
      type = lib.types.enum [
        "uboot"
        "custom"
      ];
      default = "uboot";
      description = "RAUC bootloader backend: U-Boot environment on Rock64, a file-based script on virtual targets.";
    };
    customBackend = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      description = "Command of the bootloader-custom-backend when bootloader = \"custom\".";
    };
    statusFile = lib.mkOption {
      type = lib.types.str;
      default = "/data/rauc/status.raucs";
      description = "Central RAUC status file, kept on /data across slots.";
    };
    bundleFormats = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [
        "-plain"
        "+verity"
      ];
      description = "Allowed bundle formats.";
    };
    keyringCert = lib.mkOption {
      type = lib.types.path;
      description = "CA certificate that signs the bundles; the only certificate in the keyring.";
    };
    slots = {
      boot0 = slotDevice "boot.0";
      boot1 = slotDevice "boot.1";
      rootfs0 = slotDevice "rootfs.0";
      rootfs1 = slotDevice "rootfs.1";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.bootloader != "custom" || cfg.customBackend != null;
        message = "atomicnix.rauc.customBackend must be set when atomicnix.rauc.bootloader = \"custom\"";
      }
      {
        # A git flake holds tracked files only: the keyring CA must be committed or `git add`ed.
        assertion = !(builtins.isPath cfg.keyringCert) || builtins.pathExists cfg.keyringCert;
        message = "atomicnix.rauc.keyringCert ${toString cfg.keyringCert} does not exist (or is not tracked by git): run `bash certs/gen-dev-certs.sh certs/dev && install -D -m 0644 certs/dev/dev.ca.cert.pem certs/keyring/ca.cert.pem && git add certs/keyring/ca.cert.pem` (docs/nix.md, one-time step)";
      }
    ];

    # RAUC's uboot backend runs fw_printenv/fw_setenv (libubootenv, reading the
    # hardware module's /etc/fw_env.config). The rauc package's unit gets its PATH
    # only from this drop-in, so the tools go on its `path` as well as on the
    # system path for the boot-count and recovery scripts and for operators.
    environment.systemPackages = [
      pkgs.rauc
      pkgs.libubootenv
    ];
    systemd.packages = [ pkgs.rauc ];
    services.dbus.packages = [ pkgs.rauc ];
    systemd.services.rauc = {
      wantedBy = [ "multi-user.target" ];
      path = [ pkgs.libubootenv ];
      # The status file's directory is made on /data once it is mounted: /data is a
      # nofail mount, not ordered before local-fs.target, so a tmpfiles rule could
      # run first and leave it under the mount point (the twin's rauc.service drop-in
      # does the same).
      unitConfig.RequiresMountsFor = [ (builtins.dirOf cfg.statusFile) ];
      serviceConfig.ExecStartPre = [ "${pkgs.coreutils}/bin/mkdir -p -m 0755 ${builtins.dirOf cfg.statusFile}" ];
    };

    environment.etc."rauc/ca.cert.pem".source = cfg.keyringCert;
    environment.etc."rauc/system.conf".text = ''
      [system]
      compatible=${cfg.compatible}
      bootloader=${cfg.bootloader}
      statusfile=${cfg.statusFile}
      bundle-formats=${lib.concatStringsSep " " cfg.bundleFormats}
      ${lib.optionalString (cfg.bootloader == "custom") ''

        [handlers]
        bootloader-custom-backend=${cfg.customBackend}
      ''}
      [keyring]
      path=/etc/rauc/ca.cert.pem

      [slot.boot.0]
      device=${cfg.slots.boot0}
      type=vfat
      bootname=A

      [slot.boot.1]
      device=${cfg.slots.boot1}
      type=vfat
      bootname=B

      [slot.rootfs.0]
      device=${cfg.slots.rootfs0}
      type=raw
      parent=boot.0

      [slot.rootfs.1]
      device=${cfg.slots.rootfs1}
      type=raw
      parent=boot.1
    '';
  };
}
