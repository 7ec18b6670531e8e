# checks.<hostSystem>.*: every check runs this repository's conformance kit
# (vitest, tests bound to spec scenario IDs, evidence reporter) against what the
# flake builds. Nothing is re-asserted here: a check passes when the kit's bound
# tests for its scenarios pass, and fails when none ran.
#
#   artifacts  the kit's `artifacts` target on the built image, squashfs, bundle,
#              boot script and U-Boot (tests/artifacts, ATOMICNIX_TARGET=artifacts)
#   <name>     the kit's `vm` target against nixosConfigurations.rock64-qemu booted
#              by the NixOS test driver; <name> selects scenario ID prefixes
{
  lib,
  self,
  hostSystem,
  hostPkgs,
  linuxPkgs,
  qemuSystem,
  qemuModules,
  specialArgs,
  artifacts,
  caCert,
  signingCert,
}:
let
  kit = hostPkgs.callPackage ../conformance-kit.nix { };
  node = lib.getExe' kit.nodejs "node";

  # Shell that runs the kit's vitest in a writable copy and keeps the evidence.
  # $1: regular expression over test names ("<scenario id>: <title>").
  runKit = ''
    run_kit() {
      cp -r ${kit}/share/atomicnix "$TMPDIR/kit"
      chmod -R u+w "$TMPDIR/kit"
      mkdir -p "$out/evidence"
      (cd "$TMPDIR/kit" && ATOMICNIX_EVIDENCE="$out/evidence" \
        ${node} node_modules/vitest/vitest.mjs run --testNamePattern "$1")
      passed=$(cat "$out"/evidence/runs/*/events.ndjson | grep -c '"state":"passed"' || true)
      if [ "$passed" -eq 0 ]; then
        echo "conformance kit ran no passing test for /$1/ on target $ATOMICNIX_TARGET" >&2
        exit 1
      fi
    }
  '';

  artifactsCheck = hostPkgs.runCommand "atomicnix-check-artifacts" {
    nativeBuildInputs = with hostPkgs; [
      util-linux
      squashfsTools
      mtools
      dosfstools
      ubootTools
      libubootenv
      openssl
      zstd
    ] ++ lib.optional hostPkgs.stdenv.isLinux hostPkgs.rauc;
  } ''
    ${runKit}
    mkdir -p $TMPDIR/set
    cp ${artifacts.image}/*.img $TMPDIR/set/
    cat > $TMPDIR/set/artifacts.json <<JSON
    {
      "image": "$(basename $TMPDIR/set/*.img)",
      "squashfs": "${artifacts.squashfs}/rootfs.squashfs",
      "bundle": "${artifacts.rauc-bundle}/rock64.raucb",
      "bootScr": "${artifacts.boot-script}/boot.scr",
      "bootCmd": "${artifacts.boot-script}/boot.cmd",
      "caCert": "${caCert}",
      "signingCert": "${signingCert}",
      "idbloader": "${artifacts.uboot}/idbloader.img",
      "ubootItb": "${artifacts.uboot}/u-boot.itb",
      "version": "${qemuSystem.config.system.nixos.version}",
      "arch": "arm64"
    }
    JSON
    export ATOMICNIX_TARGET=artifacts ATOMICNIX_ARTIFACTS_DIR=$TMPDIR/set
    run_kit '.'
  '';

  # Scenario ID prefixes per check; the names are the seed's test names.
  vmChecks = {
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
    # Every scenario bound to the kit's `ssh` target today (tests/twin/any-device.test.ts).
    device = [ "root." "boot.script." ];
  };

  namePattern = prefixes: "^(" + lib.concatMapStringsSep "|" (p: lib.escapeRegex p) prefixes + ")";

  vmCheck =
    name: prefixes:
    hostPkgs.testers.runNixOSTest {
      name = "atomicnix-${name}";
      node.pkgs = linuxPkgs;
      node.specialArgs = specialArgs;
      nodes.gateway = {
        imports = qemuModules;
        # SSH of the gateway on the driver's loopback for the kit's `ssh` target.
        virtualisation.forwardPorts = [
          {
            from = "host";
            host.address = "127.0.0.1";
            host.port = 2222;
            guest.port = 22;
          }
        ];
      };
      testScript = ''
        import os, subprocess
        start_all()
        gateway.wait_for_unit("multi-user.target")
        gateway.wait_for_open_port(22)
        key = os.path.join(os.environ["TMPDIR"], "admin_ed25519")
        subprocess.run(["${hostPkgs.openssh}/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        with open(key + ".pub") as f:
            pub = f.read().strip()
        # Admin key in provisioned state, as provisioning would write it.
        gateway.succeed(f"install -d -m 0755 /data/config/ssh-authorized-keys && echo '{pub}' > /data/config/ssh-authorized-keys/admin")
        out = os.environ["out"]
        env = dict(os.environ, ATOMICNIX_TARGET="ssh", ATOMICNIX_SSH_HOST="127.0.0.1", ATOMICNIX_SSH_PORT="2222",
                   ATOMICNIX_SSH_USER="admin", ATOMICNIX_SSH_KEY=key)
        script = """${runKit}
        run_kit '${namePattern prefixes}'
        """
        subprocess.run(["${hostPkgs.bash}/bin/bash", "-euo", "pipefail", "-c", script], env=env, check=True)
      '';
    };
in
{ artifacts = artifactsCheck; } // lib.mapAttrs vmCheck vmChecks
