# Flashable eMMC image atomicnix-<series>.img: U-Boot raw, boot-a, rootfs-a, the
# rest unallocated for the initrd's systemd-repart. Assembled by the shared
# build-image.sh; the series comes from the pinned nixpkgs (flake.nix).
{
  stdenv,
  util-linux,
  mtools,
  dosfstools,
  ubootTools,
  ubootRock64,
  bootVfat,
  squashfsImage,
  releaseSeries,
}:
let
  imageName = "atomicnix-${releaseSeries}.img";
in
stdenv.mkDerivation {
  name = "atomicnix-image";
  nativeBuildInputs = [
    util-linux
    mtools
    dosfstools
    ubootTools
  ];
  dontUnpack = true;
  buildPhase = ''
    runHook preBuild
    mkdir -p $out
    bash ${./scripts/build-image.sh} $out/${imageName} \
      --boot-vfat ${bootVfat}/boot.vfat \
      --rootfs ${squashfsImage}/rootfs.squashfs \
      --idbloader ${ubootRock64}/idbloader.img \
      --uboot-itb ${ubootRock64}/u-boot.itb \
      --layout ${../generated/layout/partition-layout.env}
    runHook postBuild
  '';
  dontInstall = true;
  passthru = { inherit imageName; };
}
