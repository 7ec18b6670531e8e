{
  description = "AtomicNix: NixOS firmware for Rock64 edge gateways with atomic A/B updates";

  # The release series is read back from this URL (see `releaseSeries` below): the
  # image is named atomicnix-<series>.img and moving to a new series is a one-line
  # change here plus `nix flake update`.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

  outputs =
    { self, nixpkgs }:
    let
      lib = nixpkgs.lib;
      targetSystem = "aarch64-linux";
      # Hosts that can run the checks: Linux natively (TCG or KVM), macOS through
      # the nix-darwin linux-builder for the aarch64-linux derivations.
      hostSystems = [
        "aarch64-linux"
        "aarch64-darwin"
      ];

      # "nixos-25.11" -> "25.11": the series the image name follows (stateVersion is
      # a fixed literal in modules/base.nix).
      releaseSeries = lib.versions.majorMinor lib.trivial.release;

      # crun without CRIU drops criu and python3 from the closure (~102 MB). nixpkgs'
      # crun links CRIU unconditionally (NIX_LDFLAGS = "-lcriu", `env.NIX_LDFLAGS` in
      # newer files), so `override { criu = null; }` fails to link: drop the input
      # and the flag; configure then builds without checkpoint/restore.
      embeddedOverlay = final: prev: {
        crun = prev.crun.overrideAttrs (
          old:
          let
            noCriu = flags: lib.trim (lib.replaceStrings [ "-lcriu" ] [ "" ] (toString flags));
          in
          {
            buildInputs = lib.filter (p: (p.pname or "") != "criu") (old.buildInputs or [ ]);
          }
          // lib.optionalAttrs (old ? NIX_LDFLAGS) { NIX_LDFLAGS = noCriu old.NIX_LDFLAGS; }
          // lib.optionalAttrs ((old.env or { }) ? NIX_LDFLAGS) {
            env = old.env // {
              NIX_LDFLAGS = noCriu old.env.NIX_LDFLAGS;
            };
          }
        );
      };
      overlayModule = {
        nixpkgs.overlays = [ embeddedOverlay ];
        # The RAUC keyring holds the CA that signs this flake's bundles, nothing else.
        atomicnix.rauc.keyringCert = signing.caCert;
      };

      # The Rock64 system and its QEMU twin share base.nix and every service
      # module; they differ only in the hardware module.
      specialArgs = {
        inherit releaseSeries;
        atomicnixRuntime = runtimeFor targetSystem;
      };
      rock64Modules = [
        overlayModule
        ./modules/hardware-rock64.nix
      ];
      qemuModules = [
        overlayModule
        ./modules/hardware-qemu.nix
      ];
      rock64System = lib.nixosSystem {
        inherit specialArgs;
        modules = rock64Modules;
      };
      rock64QemuSystem = lib.nixosSystem {
        inherit specialArgs;
        modules = qemuModules;
      };
      # The Rock64 system with another keyring CA (checks.artifacts).
      rock64With =
        caCert:
        lib.nixosSystem {
          inherit specialArgs;
          modules = rock64Modules ++ [ { atomicnix.rauc.keyringCert = lib.mkForce caCert; } ];
        };

      pkgsFor = system: nixpkgs.legacyPackages.${system};
      runtimeFor = system: (pkgsFor system).callPackage ./nix/runtime.nix { };

      # The only key material that is a build input: the CA certificate the image's
      # RAUC keyring holds. Bundles are signed outside the sandbox (the `sign-bundle`
      # app, nix/scripts/build-rauc-bundle.sh --content), so no private key ever
      # enters the store. A flake sees tracked files only: docs/nix.md, "One-time
      # step", puts the development CA here (production: the production CA).
      # A path literal: modules/rauc.nix asserts that it exists, with the one-time
      # step in its message (an untracked file is absent from a git flake).
      signing.caCert = ./certs/keyring/ca.cert.pem;

      # Image, squashfs, boot partition and unsigned bundle payload of one Rock64
      # system. The shipped set uses signing.caCert; checks.artifacts builds the same
      # set around a throw-away CA it can sign with inside the sandbox.
      firmwareFor =
        system:
        let
          pkgs = pkgsFor targetSystem;
          uboot = pkgs.callPackage ./nix/uboot.nix { };
          boot-script = pkgs.callPackage ./nix/boot-script.nix {
            nixosConfig = system.config;
            buildId = self.shortRev or self.dirtyShortRev or "dev";
          };
          # Shared by the image (boot-a) and the bundle (`boot` image).
          bootVfat = pkgs.callPackage ./nix/boot-vfat.nix {
            nixosConfig = system.config;
            bootScript = boot-script;
          };
          squashfs = pkgs.callPackage ./nix/squashfs.nix {
            nixosConfig = system.config;
            # 1 GiB: the size of rootfs-a and rootfs-b (specs/partition-layout).
            maxSquashfsSize = 1073741824;
          };
        in
        {
          inherit uboot boot-script squashfs;
          # Unsigned: content/ (manifest + images) and bin/sign-rauc-bundle.
          rauc-bundle = pkgs.callPackage ./nix/rauc-bundle.nix {
            nixosConfig = system.config;
            inherit bootVfat;
            squashfsImage = squashfs;
          };
          image = pkgs.callPackage ./nix/image.nix {
            ubootRock64 = uboot;
            inherit bootVfat releaseSeries;
            squashfsImage = squashfs;
          };
        };

      shipped = firmwareFor rock64System;
      linuxPackages = {
        inherit (shipped)
          uboot
          boot-script
          squashfs
          rauc-bundle
          image
          ;
        runtime = runtimeFor targetSystem;
        uboot-env-tools = (pkgsFor targetSystem).callPackage ./nix/uboot-env-tools.nix { };
      };

      # Every check runs the conformance kit of this repository (vitest bound to
      # the spec scenarios) against the Nix-built system; nothing is re-asserted
      # in Python.
      checksFor =
        hostSystem:
        import ./nix/tests {
          inherit lib self hostSystem;
          hostPkgs = pkgsFor hostSystem;
          qemuSystem = rock64QemuSystem;
          inherit qemuModules specialArgs;
          # The artifacts check signs with a throw-away CA made in the sandbox, so
          # its image carries that CA in the keyring; nothing of it is shipped.
          checkSigning = (pkgsFor targetSystem).callPackage ./nix/check-signing.nix { };
          artifactsFor = caCert: firmwareFor (rock64With caCert);
        };
    in
    {
      nixosConfigurations = {
        rock64 = rock64System;
        rock64-qemu = rock64QemuSystem;
      };

      overlays.default = embeddedOverlay;

      packages = {
        aarch64-linux = linuxPackages;
        # Same aarch64-linux derivations: `nix build .#image` on a Mac hands them
        # to the linux-builder.
        aarch64-darwin = linuxPackages;
      };

      checks = lib.genAttrs hostSystems checksFor;

      # Linux only: signing and the VM run where rauc and QEMU run.
      apps = {
        aarch64-linux = {
          # nix run .#sign-bundle -- rock64.raucb --cert C --key K|pkcs11:URI [--keyring CA]
          sign-bundle = {
            type = "app";
            program = "${linuxPackages.rauc-bundle}/bin/sign-rauc-bundle";
          };
          # The VM on a writable qcow2 copy of its product disk (./gateway.qcow2, kept
          # across runs like the board's eMMC; delete it for a fresh flash).
          rock64-qemu-vm = {
            type = "app";
            program =
              let
                pkgs = pkgsFor targetSystem;
                vm = rock64QemuSystem.config.virtualisation.vmVariant;
                disk = pkgs.callPackage ./nix/tests/vm-disk.nix { nixosConfig = vm; };
              in
              "${pkgs.writeShellScript "rock64-qemu-vm" ''
                set -eu
                img=''${ATOMICNIX_VM_DISK:-$PWD/gateway.qcow2}
                [ -e "$img" ] || ${lib.getExe' pkgs.qemu-utils "qemu-img"} convert -f raw -O qcow2 ${disk}/gateway.img "$img"
                NIX_DISK_IMAGE=$img exec ${vm.system.build.vm}/bin/run-gateway-vm "$@"
              ''}";
          };
        };
      };

      devShells = lib.genAttrs hostSystems (
        system:
        let
          pkgs = pkgsFor system;
        in
        {
          default = pkgs.mkShell {
            packages = [
              pkgs.nodejs_22
              pkgs.mdbook
              pkgs.nixfmt-rfc-style
            ];
          };
        }
      );

      formatter = lib.genAttrs hostSystems (system: (pkgsFor system).nixfmt-rfc-style);
    };
}
