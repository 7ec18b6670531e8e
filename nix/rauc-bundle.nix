# Signed verity bundle (rock64.raucb) with exactly two images, `boot` and
# `rootfs`, by the shared build-rauc-bundle.sh. The signing key is read from
# signingKeyPath on the builder (a string, never a store path) or is a PKCS#11 URI.
{
  stdenv,
  rauc,
  nixosConfig,
  bootVfat,
  squashfsImage,
  signingCert,
  signingKeyPath,
  caCert,
  compatible ? nixosConfig.atomicnix.rauc.compatible,
}:
stdenv.mkDerivation {
  name = "atomicnix-rauc-bundle";
  nativeBuildInputs = [ rauc ];
  dontUnpack = true;
  buildPhase = ''
    runHook preBuild
    mkdir -p $out
    bash ${./scripts/build-rauc-bundle.sh} $out/rock64.raucb \
      --boot-vfat ${bootVfat}/boot.vfat \
      --rootfs ${squashfsImage}/rootfs.squashfs \
      --compatible ${compatible} \
      --version ${nixosConfig.system.nixos.version} \
      --cert ${signingCert} \
      --key ${signingKeyPath} \
      --keyring ${caCert}
    runHook postBuild
  '';
  dontInstall = true;
}
