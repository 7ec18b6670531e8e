# Shared NixOS configuration of the Rock64 and the QEMU targets: the overlay root,
# accounts and SSH policy, the closure reductions and the runtime package. Imported
# by hardware-rock64.nix and hardware-qemu.nix; imports every service module.
{
  config,
  lib,
  pkgs,
  utils,
  atomicnixRuntime,
  ...
}:
let
  cfg = config.atomicnix;
  # Partition sizes from specs/partition-layout's table, compiled into generated/layout.
  layout = builtins.fromJSON (builtins.readFile ../generated/layout/partition-layout.json);
  partition = name: builtins.head (builtins.filter (p: p.name == name) layout.partitions);
  mib = name: "${toString (partition name).sizeMiB}M";
in
{
  imports = [
    ./logging.nix
    ./networking.nix
    ./firewall.nix
    ./lan-gateway.nix
    ./openvpn.nix
    ./rauc.nix
    ./first-boot.nix
    ./os-verification.nix
    ./os-upgrade.nix
    ./watchdog.nix
    ./tools.nix
  ];

  options.atomicnix = {
    runtime = lib.mkOption {
      type = lib.types.package;
      default = atomicnixRuntime;
      defaultText = lib.literalExpression "packages.aarch64-linux.runtime";
      description = "The gateway runtime bundled from device/<area>/main.ts (nix/runtime.nix).";
    };
    rootDevice = lib.mkOption {
      type = lib.types.str;
      example = "/dev/mmcblk1";
      description = "Whole disk holding the A/B slots and /data; systemd-repart completes its layout on first boot.";
    };
    # The overlay root and /data, as one value: fileSystems below, and the checks'
    # VM hands the same set to qemu-vm.nix (nix/tests), which would otherwise
    # replace it with an ext4 root.
    fileSystems = lib.mkOption {
      type = lib.types.attrsOf lib.types.anything;
      internal = true;
      readOnly = true;
      default = {
        "/" = {
          device = "overlay";
          fsType = "overlay";
          options = [
            "lowerdir=/run/rootfs-base"
            "upperdir=/run/overlay-root/upper"
            "workdir=/run/overlay-root/work"
            "x-systemd.requires=initrd-prepare-overlay-lower.service"
          ];
        };
        "/data" = {
          device = "/dev/disk/by-partlabel/data";
          fsType = "f2fs";
          options = [
            "nofail"
            "noatime"
          ];
        };
      };
    };

    buildId = lib.mkOption {
      type = lib.types.str;
      default = config.system.nixos.version;
      defaultText = lib.literalExpression "config.system.nixos.version";
      description = "Build identifier shown in /etc/issue.";
    };
  };

  config = {
    # The release the state on /data was first created with: a fixed literal that
    # never follows the nixpkgs series (changing it changes upgrade behaviour).
    system.stateVersion = "25.11";
    networking.hostName = "gateway";

    # ---- Read-only squashfs under a tmpfs overlay, assembled in the systemd initrd.
    # boot.scr passes root=fstab and atomicnix.lowerdev=<slot rootfs>; the initrd
    # mounts that slot at /run/rootfs-base and / is the overlay below.
    boot.initrd.systemd.enable = true;
    boot.initrd.supportedFilesystems = [
      "squashfs"
      "overlay"
      "vfat"
      "f2fs"
    ];
    boot.initrd.kernelModules = [
      "squashfs"
      "overlay"
    ];
    # A kernel panic reboots after 10 s, so U-Boot's boot counter sees a failed try.
    boot.kernelParams = [ "panic=10" ];
    boot.loader.grub.enable = false;
    boot.loader.generic-extlinux-compatible.enable = false;

    boot.initrd.systemd.services.initrd-prepare-overlay-lower = {
      description = "Mount the RAUC-selected squashfs slot as the lower layer of /";
      wantedBy = [ "initrd-root-fs.target" ];
      before = [ "sysroot.mount" ];
      after = [ "systemd-repart.service" ];
      unitConfig.DefaultDependencies = false;
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
      script = ''
        lowerdev=""
        for arg in $(cat /proc/cmdline); do
          case "$arg" in atomicnix.lowerdev=*) lowerdev="''${arg#atomicnix.lowerdev=}" ;; esac
        done
        if [ -z "$lowerdev" ]; then
          echo "atomicnix.lowerdev= missing from the kernel command line" >&2
          exit 1
        fi
        mkdir -p /run/rootfs-base /run/overlay-root/upper /run/overlay-root/work
        mount -t tmpfs -o mode=0755 tmpfs /run/overlay-root
        mkdir -p /run/overlay-root/upper /run/overlay-root/work
        mount -t squashfs -o ro "$lowerdev" /run/rootfs-base
      '';
    };

    fileSystems = cfg.fileSystems;

    # First boot: the flash image holds boot-a and rootfs-a only. repart matches
    # existing partitions by type in definition order and creates the missing
    # ones; with boot-b present it changes nothing (specs/partition-layout).
    boot.initrd.systemd.repart = {
      enable = true;
      device = cfg.rootDevice;
    };
    systemd.repart.partitions = {
      "10-boot-a" = {
        Type = "xbootldr";
        Label = "boot-a";
        SizeMinBytes = mib "boot-a";
        SizeMaxBytes = mib "boot-a";
      };
      "20-rootfs-a" = {
        Type = "root-arm64";
        Label = "rootfs-a";
        SizeMinBytes = mib "rootfs-a";
        SizeMaxBytes = mib "rootfs-a";
      };
      "30-boot-b" = {
        Type = "xbootldr";
        Label = "boot-b";
        SizeMinBytes = mib "boot-b";
        SizeMaxBytes = mib "boot-b";
        Format = "vfat";
      };
      "40-rootfs-b" = {
        Type = "root-arm64";
        Label = "rootfs-b";
        SizeMinBytes = mib "rootfs-b";
        SizeMaxBytes = mib "rootfs-b";
      };
      "50-data" = {
        Type = "linux-generic";
        Label = "data";
        Format = "f2fs";
      };
    };
    # The fresh-flash marker: boot-b missing before repart means this disk was
    # just written. /run is carried into the real root. It waits for the disk's
    # device unit and for udev to finish its partitions: run earlier, a missing
    # by-partlabel link would mark an ordinary boot as a fresh flash.
    boot.initrd.systemd.services.atomicnix-fresh-flash-marker = {
      description = "Record a fresh flash before systemd-repart completes the layout";
      wantedBy = [ "initrd.target" ];
      before = [ "systemd-repart.service" ];
      requires = [ "${utils.escapeSystemdPath cfg.rootDevice}.device" ];
      after = [ "${utils.escapeSystemdPath cfg.rootDevice}.device" ];
      unitConfig.DefaultDependencies = false;
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
      script = ''
        udevadm settle --timeout=30
        if [ ! -e /dev/disk/by-partlabel/boot-b ]; then
          mkdir -p /run/atomicnix
          : > /run/atomicnix/fresh-flash
        fi
      '';
    };

    systemd.tmpfiles.rules = [
      "d /var/empty 0555 root root -"
      "d /var/lib 0755 root root -"
      "d /var/lib/systemd/network 0755 systemd-network systemd-network -"
      "d /var/lib/private 0700 root root -"
      "d /var/lib/private/systemd/resolve 0755 root root -"
      "d /var/lib/chrony 0750 chrony chrony -"
      "d /var/lib/dnsmasq 0755 dnsmasq dnsmasq -"
      "d /var/cache 0755 root root -"
      "d /var/cache/nscd 0755 root root -"
      "d /var/log 0755 root root -"
      "d /var/log/journal 2755 root systemd-journal -"
      "d /var/db 0755 root root -"
      "L /var/run - - - - /run"
    ];

    # nsncd fails to drop privileges on the overlay root.
    systemd.services.nscd.serviceConfig.DynamicUser = lib.mkForce false;

    # ---- Accounts: no default credentials (specs/authentication).
    users.mutableUsers = false;
    # Both accounts are locked and the Nix config holds no key on purpose: admin's
    # keys come from /data/config/ssh-authorized-keys at run time (provisioning),
    # which users-groups.nix's lock-out assertion cannot see.
    users.allowNoPasswordLogin = true;
    users.users.root.hashedPassword = "!";
    users.users.admin = {
      isNormalUser = true;
      extraGroups = [ "wheel" ];
      hashedPassword = "!";
    };
    security.sudo.enable = false;

    services.openssh = {
      enable = true;
      settings = {
        PasswordAuthentication = false;
        KbdInteractiveAuthentication = false;
        PermitRootLogin = "no";
      };
      # The only key source: provisioned state on /data, re-read on every login.
      authorizedKeysInHomedir = false;
      authorizedKeysFiles = lib.mkForce [ "/data/config/ssh-authorized-keys/%u" ];
      # Generated per device on first boot, kept on /data across slots.
      hostKeys = [
        {
          type = "ed25519";
          path = "/data/ssh/ssh_host_ed25519_key";
        }
      ];
    };

    # ---- Closure reductions (specs/build-artifacts, build.closure).
    nix.enable = false;
    documentation.enable = false;
    documentation.man.enable = false;
    documentation.doc.enable = false;
    documentation.info.enable = false;
    documentation.nixos.enable = false;
    fonts.fontconfig.enable = false;
    xdg.mime.enable = false;
    xdg.icons.enable = false;
    xdg.sounds.enable = false;
    xdg.autostart.enable = false;
    environment.defaultPackages = [ ];
    programs.command-not-found.enable = false;

    environment.systemPackages = [
      pkgs.nano
      pkgs.htop
      pkgs.curl
      pkgs.jq
      pkgs.f2fs-tools
      pkgs.kmod
      cfg.runtime
    ];

    # The twin installs dist/device/*.mjs at /usr/lib/atomicnix/device; the same
    # path on the overlay root points into the runtime package, so the unit files
    # stay byte-identical. Re-created on every boot (the overlay upper is tmpfs).
    systemd.tmpfiles.settings."10-atomicnix-runtime" = {
      "/usr/lib".d = {
        mode = "0755";
        user = "root";
        group = "root";
      };
      "/usr/lib/atomicnix"."L+".argument = "${cfg.runtime}/lib/atomicnix";
    };
    # The running version os-upgrade compares offers against; the bundle of the same
    # build carries the same string (nix/rauc-bundle.nix --version).
    environment.etc."atomicnix/version".text = "${config.system.nixos.version}\n";
    # Units installed from files get no NixOS `path` (systemd.globalEnvironment does
    # not reach them either): each sets Environment=PATH= itself, naming the system
    # path first (modules/tools.nix puts node, rauc, nft ... there).

    # Podman runs the provisioned Quadlet applications; crun comes from the
    # CRIU-free overlay in flake.nix.
    virtualisation.podman.enable = true;
    virtualisation.containers.containersConf.settings.containers.log_driver = "journald";
    # Image storage on /data, from the same file the twin installs.
    virtualisation.containers.storage.settings = lib.importTOML ../device/etc/containers/storage.conf;

    environment.etc."issue".text = ''
      AtomicNix ${cfg.buildId} (\l)

    '';
  };
}
