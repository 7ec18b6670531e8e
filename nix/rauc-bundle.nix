# The RAUC update bundle's payload, unsigned: content/ holds manifest.raucm (verity,
# compatible, version) and exactly two images, `boot` and `rootfs`, written by the
# shared build-rauc-bundle.sh. Signing happens outside the sandbox so no private key
# ever enters the store: bin/sign-rauc-bundle (also `nix run .#sign-bundle`) runs
# `rauc bundle` on this content with a key file or a `pkcs11:` URI:
#
#   sign-rauc-bundle rock64.raucb --cert signing.cert.pem --key signing.key.pem --keyring ca.cert.pem
{
  lib,
  stdenv,
  makeWrapper,
  bash,
  coreutils,
  gnugrep,
  gnused,
  rauc,
  squashfsTools,
  nixosConfig,
  bootVfat,
  squashfsImage,
  compatible ? nixosConfig.atomicnix.rauc.compatible,
}:
stdenv.mkDerivation {
  name = "atomicnix-rauc-bundle-unsigned";
  nativeBuildInputs = [ makeWrapper ];
  dontUnpack = true;
  buildPhase = ''
    runHook preBuild
    mkdir -p $out/libexec $out/bin
    bash ${./scripts/build-rauc-bundle.sh} --content-out $out/content \
      --boot-vfat ${bootVfat}/boot.vfat \
      --rootfs ${squashfsImage}/rootfs.squashfs \
      --compatible ${compatible} \
      --version ${nixosConfig.system.nixos.version}
    install -m 0555 ${./scripts/build-rauc-bundle.sh} $out/libexec/build-rauc-bundle.sh
    # `rauc bundle` packs the payload with mksquashfs from PATH (squashfs-tools).
    makeWrapper ${lib.getExe bash} $out/bin/sign-rauc-bundle \
      --add-flags "$out/libexec/build-rauc-bundle.sh --content $out/content" \
      --prefix PATH : ${
        lib.makeBinPath [
          rauc
          squashfsTools
          coreutils
          gnugrep
          gnused
        ]
      }
    runHook postBuild
  '';
  dontInstall = true;
  passthru.content = "content";
}
