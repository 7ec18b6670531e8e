# The boot image of one slot (Image, initrd, DTB, boot.scr) from the shared
# build-boot-vfat.sh. The same file becomes boot-a of the flash image and the
# `boot` image of the bundle, so both carry byte-identical boot files.
{
  stdenv,
  dosfstools,
  mtools,
  nixosConfig,
  bootScript,
  dtbPath ? "rockchip/rk3328-rock64.dtb",
}:
let
  sys = nixosConfig.system;
  kernel = "${sys.build.kernel}/${sys.boot.loader.kernelFile}";
  initrd = "${sys.build.initialRamdisk}/${sys.boot.loader.initrdFile}";
  dtb = "${nixosConfig.boot.kernelPackages.kernel}/dtbs/${dtbPath}";
  # The filesystem fills its slot's boot partition (specs/partition-layout's table).
  layout = builtins.fromJSON (builtins.readFile ../generated/layout/partition-layout.json);
  bootA = builtins.head (builtins.filter (p: p.name == "boot-a") layout.partitions);
in
stdenv.mkDerivation {
  name = "atomicnix-boot-vfat";
  nativeBuildInputs = [
    dosfstools
    mtools
  ];
  dontUnpack = true;
  buildPhase = ''
    runHook preBuild
    mkdir -p $out
    bash ${./scripts/build-boot-vfat.sh} $out/boot.vfat \
      --kernel ${kernel} --initrd ${initrd} \
      --dtb ${dtb} --dtb-path ${dtbPath} \
      --boot-scr ${bootScript}/boot.scr \
      --size-mib ${toString bootA.sizeMiB} --label BOOT
    runHook postBuild
  '';
  dontInstall = true;
}
