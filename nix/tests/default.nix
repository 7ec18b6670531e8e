# checks.<hostSystem>.*: every check runs this repository's conformance kit
# (vitest, tests bound to spec scenario IDs, evidence reporter) against what the
# flake builds. Nothing is re-asserted here: a check passes when the kit's bound
# tests for its scenarios pass, and fails when none ran.
#
#   artifacts  the kit's `artifacts` target on an image, squashfs, bundle, boot
#              script and U-Boot built like the shipped ones, around a throw-away
#              CA the sandbox can sign with (tests/artifacts)
#   device     the kit's `ssh` target against the booted gateway VM, from a client
#              VM on the gateway's LAN (eth1, where the ruleset accepts SSH)
#   <seed name> the seed's test names (rauc-update, firewall, ...): each must run
#              the kit's selection for it; none has a scenario bound to a target
#              this check can drive yet, so evaluating one stops with that reason
#              instead of a check that runs and reports nothing.
{
  lib,
  self,
  hostSystem,
  hostPkgs,
  qemuSystem,
  qemuModules,
  specialArgs,
  checkSigning,
  artifactsFor,
}:
let
  # The kit runs in the aarch64-linux sandbox (artifacts) or in the client VM: on a
  # Mac host both are the linux-builder's, as for the packages.
  linuxPkgs = qemuSystem.pkgs;

  # Shell that runs the kit's vitest in a writable copy and keeps the evidence.
  # $1: regular expression over test names ("<scenario id>: <title>"); $2: where
  # the evidence goes.
  runKit = kit: ''
    run_kit() {
      rm -rf "$TMPDIR/kit"
      cp -r ${kit}/share/atomicnix "$TMPDIR/kit"
      chmod -R u+w "$TMPDIR/kit"
      mkdir -p "$2"
      (cd "$TMPDIR/kit" && ATOMICNIX_EVIDENCE="$2" \
        ${lib.getExe' kit.nodejs "node"} node_modules/vitest/vitest.mjs run --testNamePattern "$1")
      passed=$(cat "$2"/runs/*/events.ndjson | grep -c '"state":"passed"' || true)
      if [ "$passed" -eq 0 ]; then
        echo "conformance kit ran no passing test for /$1/ on target $ATOMICNIX_TARGET" >&2
        exit 1
      fi
    }
  '';

  checkSet = artifactsFor "${checkSigning}/dev.ca.cert.pem";
  linuxKit = linuxPkgs.callPackage ../conformance-kit.nix { };
  artifactsCheck =
    linuxPkgs.runCommand "atomicnix-check-artifacts"
      {
        nativeBuildInputs = with linuxPkgs; [
          util-linux
          squashfsTools
          mtools
          dosfstools
          ubootTools
          libubootenv
          openssl
          zstd
          rauc
        ];
      }
      ''
        ${runKit linuxKit}
        mkdir -p $TMPDIR/set
        cp ${checkSet.image}/*.img $TMPDIR/set/
        # The step `nix run .#sign-bundle` runs outside the sandbox, here with the
        # throw-away signer whose CA is this image's keyring.
        bash ${../scripts/build-rauc-bundle.sh} $TMPDIR/set/rock64.raucb \
          --content ${checkSet.rauc-bundle}/content \
          --cert ${checkSigning}/dev.signing.cert.pem --key ${checkSigning}/dev.signing.key.pem \
          --keyring ${checkSigning}/dev.ca.cert.pem
        cat > $TMPDIR/set/artifacts.json <<JSON
        {
          "image": "$(basename $TMPDIR/set/*.img)",
          "squashfs": "${checkSet.squashfs}/rootfs.squashfs",
          "bundle": "$TMPDIR/set/rock64.raucb",
          "bootScr": "${checkSet.boot-script}/boot.scr",
          "bootCmd": "${checkSet.boot-script}/boot.cmd",
          "caCert": "${checkSigning}/dev.ca.cert.pem",
          "signingCert": "${checkSigning}/dev.signing.cert.pem",
          "signingKey": "${checkSigning}/dev.signing.key.pem",
          "idbloader": "${checkSet.uboot}/idbloader.img",
          "ubootItb": "${checkSet.uboot}/u-boot.itb",
          "version": "${qemuSystem.config.system.nixos.version}",
          "arch": "arm64"
        }
        JSON
        export ATOMICNIX_TARGET=artifacts ATOMICNIX_ARTIFACTS_DIR=$TMPDIR/set
        # boot.script.u-boot-run boots the image in QEMU's U-Boot, which the kit
        # takes from Debian's u-boot-qemu; the sandbox has neither, so that one
        # scenario is left to the twin's artifact run.
        run_kit '^(?!boot\.script\.u-boot-run:)' "$out/evidence"
      '';

  gatewayLan = "172.20.30.1";
  clientLan = "172.20.30.10";

  # The gateway as the product boots: the test disk (vm-disk.nix) holds boot-a and
  # rootfs-a, the initrd mounts rootfs-a under the tmpfs overlay and repart adds
  # slot B and /data. qemu-vm.nix would otherwise put its own ext4 root and the
  # host's store (mkVMOverride) in place of the product's file systems.
  gatewayNode =
    { config, ... }:
    {
      imports = qemuModules;
      virtualisation = {
        useDefaultFilesystems = false;
        fileSystems = config.atomicnix.fileSystems;
        mountHostNixStore = false;
        writableStore = false;
        memorySize = 1024;
        cores = 2;
        # eth1: the LAN of the ruleset (eth0 is QEMU's user-mode NIC).
        vlans = [ 1 ];
        qemu.options = [
          "-device i6300esb"
          "-action watchdog=reset"
        ];
      };
      # What U-Boot's RAUC bootmeth and boot.scr pass on the board, for slot A.
      boot.kernelParams = [
        "rauc.slot=A"
        "atomicnix.lowerdev=/dev/vda2"
      ];
    };

  clientNode =
    { pkgs, lib, ... }:
    {
      virtualisation.vlans = [ 1 ];
      virtualisation.memorySize = 2048;
      networking.useDHCP = false;
      networking.firewall.enable = false;
      networking.interfaces.eth1.ipv4.addresses = lib.mkForce [
        {
          address = clientLan;
          prefixLength = 24;
        }
      ];
      environment.systemPackages = [
        pkgs.openssh
        (pkgs.callPackage ../conformance-kit.nix { })
      ];
    };

  vmCheck =
    name: prefixes:
    (hostPkgs.testers.runNixOSTest (
      { nodes, ... }:
      {
        name = "atomicnix-${name}";
        node.specialArgs = specialArgs;
        nodes.gateway = gatewayNode;
        nodes.client = clientNode;
        testScript =
          let
            disk = linuxPkgs.callPackage ./vm-disk.nix { nixosConfig = nodes.gateway; };
            clientKit = nodes.client.environment.systemPackages;
            kit = lib.findFirst (p: (p.pname or "") == "atomicnix-conformance-kit") null clientKit;
            ssh = "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=accept-new -i /root/admin_ed25519";
          in
          ''
            import os, shlex, subprocess
            disk = os.path.join(os.environ["TMPDIR"], "gateway.qcow2")
            subprocess.run(["${lib.getExe' hostPkgs.qemu-utils "qemu-img"}", "convert", "-f", "raw", "-O", "qcow2",
                            "${disk}/gateway.img", disk], check=True)
            # qemu-vm.nix's start script takes its root drive from NIX_DISK_IMAGE.
            os.environ["NIX_DISK_IMAGE"] = disk
            gateway.start()
            client.start()
            gateway.wait_for_unit("multi-user.target")
            gateway.wait_for_open_port(22)
            client.wait_for_unit("multi-user.target")
            client.succeed("ssh-keygen -q -t ed25519 -N ''' -f /root/admin_ed25519")
            pub = client.succeed("cat /root/admin_ed25519.pub").strip()
            # Admin key in provisioned state, as provisioning would write it.
            gateway.succeed(f"install -d -m 0755 /data/config/ssh-authorized-keys && echo '{pub}' > /data/config/ssh-authorized-keys/admin")
            client.wait_until_succeeds("${ssh} admin@${gatewayLan} true", timeout=120)
            script = """export TMPDIR=/tmp
            ${runKit kit}
            export ATOMICNIX_TARGET=ssh ATOMICNIX_SSH_HOST=${gatewayLan} ATOMICNIX_SSH_PORT=22 \
              ATOMICNIX_SSH_USER=admin ATOMICNIX_SSH_KEY=/root/admin_ed25519
            run_kit '${namePattern prefixes}' /tmp/evidence
            """
            client.succeed("bash -euo pipefail -c " + shlex.quote(script), timeout=3600)
            client.copy_from_vm("/tmp/evidence", "evidence")
          '';
      }
    )).overrideTestDerivation
      (prev: {
        # TCG is allowed: without /dev/kvm QEMU emulates (accel=kvm:tcg), slowly.
        requiredSystemFeatures = lib.remove "kvm" (prev.requiredSystemFeatures or [ ]);
      });

  namePattern = prefixes: "^(" + lib.concatMapStringsSep "|" (p: lib.escapeRegex p) prefixes + ")";

  # Scenario ID prefixes per check. `device` holds the scenarios bound to the kit's
  # `ssh` target today (tests/twin/any-device.test.ts).
  runnable = {
    device = [
      "root."
      "boot.script."
    ];
  };
  # The seed's test names. Their scenarios are bound to the twin's `vm` and
  # `container` targets (power control, the U-Boot environment, peer networks from
  # the host), none to a target a NixOS test can drive; the board-portable kit
  # (issue 9) gives them one. Until then a check of this list must not pass by
  # running nothing.
  pending = {
    rauc-slots = [ "rauc.slots." "rauc.custom-backend." ];
    rauc-update = [ "rauc.inactive-only." "boot.install-order." "part.data-persistence." ];
    rauc-rollback = [ "boot.rollback." "boot.counter." "boot.lifecycle-log." ];
    rauc-confirm = [ "verify." "boot.mark-good." ];
    rauc-power-loss = [ "boot.power-cut." ];
    rauc-watchdog = [ "wdog.rollback-feed." ];
    firewall = [ "fw." ];
    initrd-fresh-flash-marker = [ "part.first-boot-repart." "part.stable-layout." ];
    first-boot-provision = [ "prov." "quadlet." ];
    first-boot-source-discovery = [ "prov.sources." "prov.media-scan." ];
    forensics-podman-log-path = [ "log.podman." ];
    forensics-rsyslog-path = [ "log.rsyslog." "log.update-services." ];
    forensics-rsyslog-buffering = [ "log.bounded-loss." "log.journald." ];
    forensics-shutdown-flush = [ "log.shutdown-flush." ];
    network-isolation = [ "lan." ];
    ssh-wan-toggle = [ "fw.ssh-wan." "auth.interfaces." ];
  };
  notRunnable =
    name: prefixes:
    throw "checks.${hostSystem}.${name}: no scenario of ${lib.concatStringsSep ", " prefixes} is bound to a target this NixOS test can drive (the kit's `ssh` target from the client VM); they run on the twin (`npx tsx twin/run-suite.ts`) until the board-portable kit (issue 9) lands. Build checks.${hostSystem}.artifacts and checks.${hostSystem}.device instead.";
in
{
  artifacts = artifactsCheck;
}
// lib.mapAttrs vmCheck runnable
// lib.mapAttrs notRunnable pending
