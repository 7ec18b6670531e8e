# The disk of a checks VM: the same GPT layout build-image.sh writes for the board
# (boot-a, rootfs-a, the rest left to systemd-repart) from the test node's own
# closure, so the VM boots the real squashfs under the tmpfs overlay instead of
# qemu-vm.nix's ext4 root. The U-Boot environment sits where fw_env.virtio.config
# says (1 MiB, 16 KiB), as on the twin.
{
  stdenv,
  callPackage,
  dosfstools,
  mtools,
  util-linux,
  ubootTools,
  nixosConfig,
}:
let
  sys = nixosConfig.system;
  squashfs = callPackage ../squashfs.nix {
    inherit nixosConfig;
    maxSquashfsSize = 1073741824;
    compressionLevel = 3;
  };
in
stdenv.mkDerivation {
  name = "atomicnix-check-vm-disk";
  nativeBuildInputs = [
    dosfstools
    mtools
    util-linux
    ubootTools
  ];
  dontUnpack = true;
  buildPhase = ''
    runHook preBuild
    mkdir -p $out
    bash ${../scripts/build-boot-vfat.sh} $TMPDIR/boot.vfat \
      --kernel ${sys.build.kernel}/${sys.boot.loader.kernelFile} \
      --initrd ${sys.build.initialRamdisk}/${sys.boot.loader.initrdFile} \
      --size-mib 128 --label BOOT
    printf 'BOOT_ORDER=A B\nBOOT_A_LEFT=3\nBOOT_B_LEFT=3\n' > $TMPDIR/uboot-env.txt
    bash ${../scripts/build-image.sh} $out/gateway.img \
      --boot-vfat $TMPDIR/boot.vfat --rootfs ${squashfs}/rootfs.squashfs \
      --uboot-env $TMPDIR/uboot-env.txt --env-offset 0x100000 --env-size 0x4000
    runHook postBuild
  '';
  dontInstall = true;
}
