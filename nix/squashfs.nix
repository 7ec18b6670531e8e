# Read-only root filesystem: the closure of the Rock64 system in a pseudo-root,
# packed by the shared nix/scripts/build-squashfs.sh (the twin build calls the same
# script). The script fails, leaving no image, above maxSquashfsSize.
{
  lib,
  stdenv,
  squashfsTools,
  closureInfo,
  nixosConfig,
  maxSquashfsSize,
  compressionLevel ? 19,
}:
let
  toplevel = nixosConfig.system.build.toplevel;
  closure = closureInfo { rootPaths = [ toplevel ]; };
in
stdenv.mkDerivation {
  name = "atomicnix-squashfs";
  nativeBuildInputs = [ squashfsTools ];
  dontUnpack = true;

  buildPhase = ''
    runHook preBuild
    root=$TMPDIR/root
    mkdir -p $root/nix/store $root/sbin
    # Every store path of the system, nothing else.
    while read -r p; do
      cp -a "$p" "$root/nix/store/"
    done < ${closure}/store-paths
    # The initrd switches to /init of the overlay root.
    ln -s ${toplevel}/init $root/init
    ln -s ${toplevel}/init $root/sbin/init
    for d in proc sys dev run etc var tmp boot data home root usr bin mnt; do
      mkdir -p $root/$d
    done
    mkdir -p $out
    bash ${./scripts/build-squashfs.sh} $root $out/rootfs.squashfs \
      --level ${toString compressionLevel} --max-bytes ${toString maxSquashfsSize}
    runHook postBuild
  '';
  dontInstall = true;

  passthru = { inherit toplevel closure; };
}
