# The disk of a checks VM: the same GPT layout build-image.sh writes for the board
# (boot-a, rootfs-a, the rest left to systemd-repart) from the test node's own
# closure, so the VM boots the real squashfs under the tmpfs overlay instead of
# qemu-vm.nix's ext4 root. The U-Boot environment sits where fw_env.virtio.config
# says, as on the twin: the virtual targets' row of specs/partition-layout's env table.
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
  layout = builtins.fromJSON (builtins.readFile ../../generated/layout/partition-layout.json);
  env = layout.ubootEnv.virtual;
  bootA = builtins.head (builtins.filter (p: p.name == "boot-a") layout.partitions);
  rootfsA = builtins.head (builtins.filter (p: p.name == "rootfs-a") layout.partitions);
  squashfs = callPackage ../squashfs.nix {
    inherit nixosConfig;
    maxSquashfsSize = rootfsA.sizeBytes;
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
      --size-mib ${toString bootA.sizeMiB} --label BOOT
    printf 'BOOT_ORDER=A B\nBOOT_A_LEFT=3\nBOOT_B_LEFT=3\n' > $TMPDIR/uboot-env.txt
    bash ${../scripts/build-image.sh} $out/gateway.img \
      --boot-vfat $TMPDIR/boot.vfat --rootfs ${squashfs}/rootfs.squashfs \
      --uboot-env $TMPDIR/uboot-env.txt --env-offset ${env.offsetHex} --env-size ${env.sizeHex} \
      --layout ${../../generated/layout/partition-layout.env}
    runHook postBuild
  '';
  dontInstall = true;
}
