#!/usr/bin/env bash
# Builds the whole twin, each stage cached under $ATOMICNIX_TWIN_CACHE by a hash of
# its inputs, and records the result in <cache>/current-<arch>.json (read by the
# conformance targets through twin/locate.ts):
#   root     twin/build-root.sh (mmdebstrap base + our runtime)
#   initrd   twin/build-initrd.sh
#   rootfs   nix/scripts/build-squashfs.sh   (zstd level $ATOMICNIX_TWIN_SQUASHFS_LEVEL, default 3)
#   boot     nix/scripts/build-boot-vfat.sh  (kernel + initrd)
#   image    nix/scripts/build-image.sh      (seed layout, U-Boot env at 1 MiB)
#   bundle   nix/scripts/build-rauc-bundle.sh (boot + rootfs above, signed with the dev keys)
# and describes the image stage in <stage>/artifacts.json, the artifact set the
# `artifacts` conformance target reads (conformance/targets/artifacts/artifact-set.ts).
# usage: build.sh [--arch amd64|arm64] [--root-only]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
arch=amd64 root_only=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --root-only) root_only=1; shift ;;
    *) echo "usage: build.sh [--arch amd64|arm64] [--root-only]" >&2; exit 2 ;;
  esac
done
cache=${ATOMICNIX_TWIN_CACHE:-/var/cache/atomicnix/twin}
level=${ATOMICNIX_TWIN_SQUASHFS_LEVEL:-3}
say() { echo "[twin $(date +%T)] $*" >&2; }
t0=$SECONDS
# One build per architecture at a time (scripts/prebuild-vm-twin.sh starts one in the
# background): a second waits, then finds the stages cached.
mkdir -p "$cache"
exec 9> "$cache/.build-$arch.lock"
if ! flock -n 9; then
  say "waiting for another $arch build to finish"
  flock 9
fi

rootdir=$(bash "$here/build-root.sh" --arch "$arch")
root=$rootdir/root
key=$(cat "$rootdir/key")
pointer() { # json fields
  local tmp="$cache/current-$arch.json.tmp.$$"
  printf '%s\n' "$1" > "$tmp" && mv -f "$tmp" "$cache/current-$arch.json"
}
if [ "$root_only" = 1 ]; then
  pointer "{\"arch\":\"$arch\",\"key\":\"$key\",\"root\":\"$root\",\"certs\":\"$cache/dev-certs\"}"
  say "twin root ready in $((SECONDS - t0)) s"
  exit 0
fi

# arm64 boots through a real U-Boot (twin/build-uboot.sh) running boot.scr; amd64
# still boots its kernel directly (the VM driver's -kernel path).
uboot_dir="" uboot_key=""
if [ "$arch" = arm64 ]; then
  uboot_dir=$(bash "$here/build-uboot.sh")
  uboot_key=$(basename "$uboot_dir")
fi
img_key=$( { echo "$key $level $uboot_key"; cat "$here/build-initrd.sh" "$here/initrd-init" "$here/build.sh" "$here/kernel-image.sh" ${uboot_key:+"$here/uboot/env-arm64.txt"} "$repo"/nix/scripts/build-{squashfs,boot-vfat,image,rauc-bundle}.sh "$repo"/nix/scripts/{compile-boot-script.sh,boot.cmd} "$repo/generated/layout/partition-layout.env"; } | sha256sum | cut -c1-16)
imgdir=$cache/image-$arch-$img_key
if [ ! -f "$imgdir/twin.img" ]; then
  tmp=$imgdir.tmp.$$
  rm -rf -- "$tmp"; mkdir -p "$tmp"
  trap 'rm -rf -- "$tmp"' EXIT
  kernel=$(ls "$root"/boot/vmlinuz-* | head -1)
  boot_extra=()
  # What nix/boot-script.nix passes from the NixOS configuration (init= and
  # boot.kernelParams); the console and twin-only words come from the env
  # (twin/uboot/env-arm64.txt).
  twin_kernel_params="init=/sbin/init panic=10"
  if [ "$arch" = arm64 ]; then
    bash "$here/kernel-image.sh" "$kernel" "$tmp/vmlinuz"
    # U-Boot reads the SD card by programmed I/O: the 38 MB raw Image takes 6-16 s,
    # gzip-compressed (booti unpacks it, env kernel_comp_*) 5-7 s to "Starting kernel".
    gzip -n -6 -c "$tmp/vmlinuz" > "$tmp/Image.gz"
    bash "$repo/nix/scripts/compile-boot-script.sh" "$repo/nix/scripts/boot.cmd" "$tmp/boot.scr" --arch arm64 --build-id "twin-$img_key" --kernel-params "$twin_kernel_params" --cmd-out "$tmp/boot.cmd" >&2
    boot_extra=(--boot-scr "$tmp/boot.scr")
  else
    cp "$kernel" "$tmp/vmlinuz"
    # amd64 boots with QEMU -kernel, so boot.scr stays off its boot partition; it is
    # still compiled (for the twin's architecture) so the artifact set describes
    # the script the same source and compiler produce.
    bash "$repo/nix/scripts/compile-boot-script.sh" "$repo/nix/scripts/boot.cmd" "$tmp/boot.scr" --arch x86_64 --build-id "twin-$img_key" --kernel-params "$twin_kernel_params" --cmd-out "$tmp/boot.cmd" >&2
  fi
  # The boot vfat fills its slot's boot partition (specs/partition-layout's table).
  layout_env=$repo/generated/layout/partition-layout.env
  boot_mib=$(. "$layout_env" && echo $((LAYOUT_BOOT_A_SIZE / LAYOUT_MIB)))
  say "initrd"
  bash "$here/build-initrd.sh" "$root" "$tmp/initrd"
  say "squashfs (zstd level $level)"
  s=$SECONDS
  bash "$repo/nix/scripts/build-squashfs.sh" "$root" "$tmp/rootfs.squashfs" --level "$level" --owners keep >&2
  say "squashfs done in $((SECONDS - s)) s ($(du -h "$tmp/rootfs.squashfs" | cut -f1))"
  if [ "$arch" = arm64 ]; then
    bash "$repo/nix/scripts/build-boot-vfat.sh" "$tmp/boot.vfat" --kernel "$tmp/Image.gz" --initrd "$tmp/initrd" "${boot_extra[@]}" --size-mib "$boot_mib" >&2
    # U-Boot's own default env with the twin's variables over it (a saved env
    # replaces the compiled defaults entirely; without them there is no bootcmd).
    ours=$(grep -v '^#' "$here/uboot/env-arm64.txt" | grep -v '^[[:space:]]*$')
    awk -F= 'NR == FNR { ours[$1] = 1; next } !($1 in ours)' <(printf '%s\n' "$ours") "$uboot_dir/u-boot-initial-env" > "$tmp/uboot-env.txt"
    printf '%s\n' "$ours" >> "$tmp/uboot-env.txt"
  else
    bash "$repo/nix/scripts/build-boot-vfat.sh" "$tmp/boot.vfat" --kernel "$tmp/vmlinuz" --initrd "$tmp/initrd" --size-mib "$boot_mib" >&2
    printf 'BOOT_ORDER=A B\nBOOT_A_LEFT=3\nBOOT_B_LEFT=3\n' > "$tmp/uboot-env.txt"
  fi
  # The env where the virtual targets' fw_env.config has it (specs/partition-layout's table).
  env_offset=$(. "$layout_env" && echo "$LAYOUT_ENV_VIRTUAL_OFFSET") env_size=$(. "$layout_env" && echo "$LAYOUT_ENV_VIRTUAL_SIZE")
  bash "$repo/nix/scripts/build-image.sh" "$tmp/twin.img" --boot-vfat "$tmp/boot.vfat" --rootfs "$tmp/rootfs.squashfs" \
    --uboot-env "$tmp/uboot-env.txt" --env-offset "$env_offset" --env-size "$env_size" --layout "$layout_env" >&2
  version=$(cat "$root/etc/atomicnix/version")
  say "update bundle $version"
  bash "$repo/nix/scripts/build-rauc-bundle.sh" "$tmp/twin.raucb" --boot-vfat "$tmp/boot.vfat" --rootfs "$tmp/rootfs.squashfs" \
    --compatible atomicnix-twin --version "$version" \
    --cert "$cache/dev-certs/dev.signing.cert.pem" --key "$cache/dev-certs/dev.signing.key.pem" --keyring "$cache/dev-certs/dev.ca.cert.pem" >&2
  say "hashing the image"
  sha256sum "$tmp/twin.img" | cut -d' ' -f1 > "$tmp/twin.img.sha256"
  # The whole stage directory is renamed into place below, so this file appears
  # with the files it names or not at all.
  certs=$cache/dev-certs
  cat > "$tmp/artifacts.json" <<JSON
{"image":"twin.img","squashfs":"rootfs.squashfs","bundle":"twin.raucb","bootScr":"boot.scr","bootCmd":"boot.cmd",
 "caCert":"$certs/dev.ca.cert.pem","signingCert":"$certs/dev.signing.cert.pem","signingKey":"$certs/dev.signing.key.pem",
 "env":{"offset":1048576,"size":16384},"version":"$version","arch":"$arch","twin":true}
JSON
  mv -- "$tmp" "$imgdir"
  trap - EXIT
else
  say "image cached: $imgdir"
fi
pointer "{\"arch\":\"$arch\",\"key\":\"$key\",\"root\":\"$root\",\"certs\":\"$cache/dev-certs\",\"kernel\":\"$imgdir/vmlinuz\",\"initrd\":\"$imgdir/initrd\",\"bootVfat\":\"$imgdir/boot.vfat\",\"rootfs\":\"$imgdir/rootfs.squashfs\",\"image\":\"$imgdir/twin.img\",\"bundle\":\"$imgdir/twin.raucb\",\"version\":\"$(cat "$root/etc/atomicnix/version")\",\"imageSha256\":\"$(cat "$imgdir/twin.img.sha256")\",\"artifacts\":\"$imgdir\"${uboot_dir:+,\"uboot\":\"$uboot_dir/u-boot.bin\",\"ubootEnv\":\"$imgdir/uboot-env.txt\"}}"
# Keep the cache bounded (an image stage is ~1.7 GB): per stage and architecture the
# current build and the newest other one stay (a suite may still run on it; bases:
# the two newest), older ones go.
prune() { # stage-prefix current-dir
  local d n=0
  while IFS= read -r d; do
    [ "$d" = "$2" ] && continue
    n=$((n + 1))
    [ "$n" -le 1 ] && continue
    say "pruning $d"; rm -rf -- "$d"
  done < <(ls -1dt "$cache/$1"-* 2>/dev/null | grep -v '\.tmp\.')
}
prune "base-$arch" ""
prune "root-$arch" "$rootdir"
prune "image-$arch" "$imgdir"
if [ -n "$uboot_dir" ]; then prune uboot-arm64 "$uboot_dir"; fi
say "twin ready in $((SECONDS - t0)) s: $cache/current-$arch.json"
