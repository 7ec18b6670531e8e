# boot.scr from nix/scripts/boot.cmd through the shared compile-boot-script.sh
# (mkimage -C none -A arm64 -T script); ships the substituted boot.cmd too. The
# kernel command line comes from the NixOS configuration, as a NixOS boot loader
# would write it: init= of the system's toplevel and boot.kernelParams; boot.cmd
# adds only the slot-dependent words (root=fstab, rauc.slot=, atomicnix.lowerdev=).
{
  lib,
  stdenv,
  ubootTools,
  nixosConfig,
  buildId,
}:
let
  kernelParams = lib.concatStringsSep " " (
    [ "init=${nixosConfig.system.build.toplevel}/init" ] ++ nixosConfig.boot.kernelParams
  );
in
stdenv.mkDerivation {
  name = "atomicnix-boot-script";
  nativeBuildInputs = [ ubootTools ];
  dontUnpack = true;
  buildPhase = ''
    runHook preBuild
    mkdir -p $out
    bash ${./scripts/compile-boot-script.sh} ${./scripts/boot.cmd} $out/boot.scr \
      --arch arm64 --build-id ${buildId} --kernel-params ${lib.escapeShellArg kernelParams} \
      --cmd-out $out/boot.cmd
    runHook postBuild
  '';
  dontInstall = true;
  passthru = { inherit kernelParams; };
}
