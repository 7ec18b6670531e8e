# boot.scr from nix/scripts/boot.cmd through the shared compile-boot-script.sh
# (mkimage -C none -A arm64 -T script); ships the substituted boot.cmd too.
{
  stdenv,
  ubootTools,
  buildId,
}:
stdenv.mkDerivation {
  name = "atomicnix-boot-script";
  nativeBuildInputs = [ ubootTools ];
  dontUnpack = true;
  buildPhase = ''
    runHook preBuild
    mkdir -p $out
    bash ${./scripts/compile-boot-script.sh} ${./scripts/boot.cmd} $out/boot.scr \
      --arch arm64 --build-id ${buildId} --cmd-out $out/boot.cmd
    runHook postBuild
  '';
  dontInstall = true;
}
