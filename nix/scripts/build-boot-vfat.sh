#!/usr/bin/env bash
# Builds the boot partition image of one slot: a vfat filesystem holding the
# kernel as `Image`, `initrd`, the device tree at its U-Boot path and `boot.scr`.
# The same file is written to boot-a of the flash image and shipped as the `boot`
# image of the RAUC bundle, so kernel and rootfs of a slot always match. Uses
# mkfs.vfat and mtools on a plain file: no mounting, no root needed.
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: build-boot-vfat.sh OUT --kernel F --initrd F [--dtb F [--dtb-path P]] [--boot-scr F]
                          [--add SRC=DEST]... --size-mib N [--label L]
  OUT           vfat image to write (e.g. .../boot.vfat)
  --kernel F    kernel image, stored as /Image
  --initrd F    initrd, stored as /initrd
  --dtb F       device tree blob, stored at --dtb-path (default rockchip/rk3328-rock64.dtb)
  --boot-scr F  compiled U-Boot script, stored as /boot.scr
  --add SRC=DEST  any further file (e.g. config.toml=config.toml); repeatable
  --size-mib N  filesystem size: the boot slot's size (sizeMiB of boot-a in
                generated/layout/partition-layout.json), which each caller passes
  --label L     volume label (default BOOT)
USAGE
  exit 2
}
die() { echo "build-boot-vfat: $*" >&2; exit 1; }

[ "$#" -ge 1 ] || usage
out=$1
shift
case "$out" in -*) usage ;; esac
kernel="" initrd="" dtb="" dtb_path="rockchip/rk3328-rock64.dtb" boot_scr="" size_mib="" label=BOOT
extra=()
while [ "$#" -gt 0 ]; do
  [ "$#" -ge 2 ] || { echo "build-boot-vfat: '$1' needs a value" >&2; usage; }
  case "$1" in
    --kernel) kernel=$2 ;;
    --initrd) initrd=$2 ;;
    --dtb) dtb=$2 ;;
    --dtb-path) dtb_path=$2 ;;
    --boot-scr) boot_scr=$2 ;;
    --add) extra+=("$2") ;;
    --size-mib) size_mib=$2 ;;
    --label) label=$2 ;;
    *) echo "build-boot-vfat: unknown argument '$1'" >&2; usage ;;
  esac
  shift 2
done
[ -n "$kernel" ] || { echo "build-boot-vfat: --kernel is required" >&2; usage; }
[ -n "$initrd" ] || { echo "build-boot-vfat: --initrd is required" >&2; usage; }
[ -n "$size_mib" ] || { echo "build-boot-vfat: --size-mib is required (the boot slot's size)" >&2; usage; }
[[ "$size_mib" =~ ^[0-9]+$ ]] && [ "$size_mib" -ge 33 ] || die "--size-mib must be an integer >= 33, got '$size_mib'"
for f in "$kernel" "$initrd" ${dtb:+"$dtb"} ${boot_scr:+"$boot_scr"}; do
  [ -f "$f" ] || die "input file '$f' does not exist"
done
case "$dtb_path" in /*|*..*|"") die "--dtb-path must be a relative path inside the partition, got '$dtb_path'" ;; esac
for cmd in mkfs.vfat mcopy mmd; do command -v "$cmd" >/dev/null || die "$cmd not found (packages dosfstools, mtools)"; done

# Files are staged with a fixed mtime so that the image is reproducible.
epoch=${SOURCE_DATE_EPOCH:-315532800}
stage=$(mktemp -d)
tmp="$out.tmp.$$"
trap 'rm -rf -- "$stage" "$tmp"' EXIT
rm -f -- "$out"

# list of "source<TAB>destination" pairs
pairs=("$kernel	Image" "$initrd	initrd")
[ -n "$dtb" ] && pairs+=("$dtb	$dtb_path")
[ -n "$boot_scr" ] && pairs+=("$boot_scr	boot.scr")
for e in "${extra[@]}"; do
  src=${e%%=*} dest=${e#*=}
  [ "$src" != "$e" ] && [ -n "$dest" ] || die "--add expects SRC=DEST, got '$e'"
  [ -f "$src" ] || die "input file '$src' (from --add) does not exist"
  case "$dest" in /*|*..*) die "--add destination must be a relative path, got '$dest'" ;; esac
  pairs+=("$src	$dest")
done

truncate -s "$((size_mib * 1024 * 1024))" "$tmp"
mkfs.vfat --invariant -i 41544e58 -n "$label" "$tmp" >/dev/null || die "mkfs.vfat failed"
export MTOOLS_SKIP_CHECK=1 SOURCE_DATE_EPOCH="$epoch"  # mtools stamps new directories with it
i=0
for p in "${pairs[@]}"; do
  src=${p%%	*} dest=${p#*	}
  i=$((i + 1))
  cp -- "$src" "$stage/$i"
  touch -d "@$epoch" "$stage/$i"
  # create parent directories (e.g. rockchip/) once each
  d=$(dirname -- "$dest") acc=""
  if [ "$d" != "." ]; then
    IFS=/ read -r -a parts <<<"$d"
    for part in "${parts[@]}"; do
      acc=${acc:+$acc/}$part
      mdir -i "$tmp" "::$acc" >/dev/null 2>&1 || mmd -i "$tmp" "::$acc" || die "cannot create directory '$acc'"
    done
  fi
  mcopy -m -o -i "$tmp" "$stage/$i" "::$dest" || die "cannot copy '$src' to '$dest' (image full? size is $size_mib MiB)"
done
mv -f -- "$tmp" "$out"
trap 'rm -rf -- "$stage"' EXIT
echo "build-boot-vfat: wrote $out ($size_mib MiB, ${#pairs[@]} files)" >&2
