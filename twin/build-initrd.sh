#!/usr/bin/env bash
# Assembles the twin's initrd from files of the twin root, without running
# mkinitramfs (which takes ~17 min under qemu-user for arm64): busybox-static, the
# kernel modules the boot needs (uncompressed, in dependency order), sfdisk,
# mkfs.fat and mkfs.f2fs with their libraries, and twin/initrd-init as /init.
# The init does what the NixOS initrd does (modules/base.nix): on a fresh flash it
# adds boot-b, rootfs-b and data behind rootfs-a and writes /run/atomicnix/fresh-flash,
# mounts the squashfs slot named by atomicnix.lowerdev= at /run/rootfs-base, assembles
# / as overlay with tmpfs upper/work under /run/overlay-root, and switches root.
# usage: build-initrd.sh ROOT OUT
set -euo pipefail
[ "$#" -eq 2 ] || { echo "usage: build-initrd.sh ROOT OUT" >&2; exit 2; }
root=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "build-initrd: $*" >&2; exit 1; }
kver=$(ls "$root/lib/modules" | head -1)
[ -n "$kver" ] || die "no kernel modules in $root/lib/modules"
moddir=$root/lib/modules/$kver

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
ir=$work/initrd
mkdir -p "$ir"/{bin,sbin,dev,proc,sys,run,newroot,lib/modules,etc,usr/lib}
ln -s lib "$ir/lib64"

install -m 0755 "$root/usr/bin/busybox" "$ir/bin/busybox"
install -m 0755 "$here/initrd-init" "$ir/init"
# The init has no JSON reader: it sources the layout's shell form, compiled from the same table.
install -m 0644 "$here/../generated/layout/partition-layout.env" "$ir/etc/partition-layout.env"

# ---- modules: the wanted ones and everything they depend on, deepest first
WANTED=(virtio_pci virtio_blk virtio_console squashfs overlay loop f2fs vfat nls_cp437 nls_iso8859_1 crc32c_generic)
declare -A seen=()
order=()
add_module() { # name
  local name=$1 path dep
  path=$(awk -v n="$name" -F: '{ f=$1; sub(/.*\//, "", f); sub(/\.ko(\.(xz|zst|gz))?$/, "", f); gsub(/-/, "_", f); if (f == n) { print $1; exit } }' "$moddir/modules.dep")
  if [ -z "$path" ]; then
    grep -qE "/${name//_/[_-]}\.ko$" "$moddir/modules.builtin" || echo "build-initrd: module $name neither loadable nor built in" >&2
    return
  fi
  [ -n "${seen[$path]:-}" ] && return
  seen[$path]=1
  for dep in $(awk -v p="$path" -F: '$1 == p { print $2 }' "$moddir/modules.dep"); do
    dep=${dep##*/}; dep=${dep%%.ko*}; add_module "${dep//-/_}"
  done
  order+=("$path")
}
for m in "${WANTED[@]}"; do add_module "$m"; done
: > "$ir/etc/modules-load"
for path in "${order[@]}"; do
  base=${path##*/}; base=${base%%.ko*}.ko
  case "$path" in
    *.xz) xz -dc "$moddir/$path" > "$ir/lib/modules/$base" ;;
    *.zst) zstd -qdc "$moddir/$path" > "$ir/lib/modules/$base" ;;
    *.gz) gzip -dc "$moddir/$path" > "$ir/lib/modules/$base" ;;
    *) cp "$moddir/$path" "$ir/lib/modules/$base" ;;
  esac
  echo "$base" >> "$ir/etc/modules-load"
done

# ---- tools with their shared libraries, resolved inside the root (works cross-arch)
LIBDIRS=(lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu lib usr/lib lib64)
find_lib() {
  local d
  for d in "${LIBDIRS[@]}"; do [ -e "$root/$d/$1" ] && { echo "$d/$1"; return; }; done
  return 1
}
declare -A have=()
copy_with_libs() { # path-in-root
  local rel=$1 lib real
  [ -n "${have[$rel]:-}" ] && return
  have[$rel]=1
  real=$(cd "$root" && readlink -f "./$rel" | sed "s|^$(cd "$root" && pwd)/||; s|^/||")
  mkdir -p "$ir/$(dirname "$rel")"
  cp -L "$root/$rel" "$ir/$rel"
  for lib in $(readelf -d "$root/$real" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    copy_with_libs "$(find_lib "$lib")" || die "library $lib of $rel not found in the root"
  done
  local interp
  interp=$(readelf -l "$root/$real" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  if [ -n "$interp" ] && [ -z "${have[${interp#/}]:-}" ]; then
    have[${interp#/}]=1
    mkdir -p "$ir/$(dirname "${interp#/}")"
    cp -L "$root/$interp" "$ir/${interp#/}"
  fi
}
for tool in usr/sbin/sfdisk usr/sbin/mkfs.fat usr/sbin/mkfs.f2fs; do
  [ -e "$root/$tool" ] || die "$tool missing from the root"
  copy_with_libs "$tool"
done

echo "$kver" > "$ir/etc/kernel-version"
(cd "$ir" && find . -print0 | LC_ALL=C sort -z | cpio --null --create --format=newc --quiet --reproducible) | zstd -q -19 -T0 > "$out.tmp.$$"
mv -f -- "$out.tmp.$$" "$out"
echo "build-initrd: $out ($(du -h "$out" | cut -f1), kernel $kver, ${#order[@]} modules)" >&2
