#!/usr/bin/env bash
# Assembles the flashable eMMC image with the layout of specs/partition-layout, read from
# generated/layout/partition-layout.env (sectors of 512 bytes):
#   0 .. boot-a       raw region: idbloader.img at sector 64, u-boot.itb at sector 16384
#   boot-a            XBOOTLDR type, the slot's boot.vfat
#   rootfs-a          Linux root aarch64 type, the squashfs
#   image end ..      unallocated: the initrd creates boot-b, rootfs-b and data there
# The file is sparse and 1 MiB longer than the layout so the backup GPT fits behind
# it. Optionally a U-Boot environment (mkenvimage) is written at a raw offset inside
# the raw region; the twin keeps BOOT_ORDER/BOOT_x_LEFT there, read by
# fw_printenv through a `IMAGE OFFSET SIZE` fw_env.config line.
# nix/image.nix and the twin build call this with the same arguments.
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: build-image.sh OUT --boot-vfat F --rootfs F [--idbloader F --uboot-itb F]
                      [--uboot-env TEXT --env-offset N [--env-size N]] [--uuid-seed S] [--layout F]
  OUT             image to write (e.g. .../atomicnix-25.11.img)
  --boot-vfat F   boot-a contents (build-boot-vfat.sh output, at most boot-a's size)
  --rootfs F      rootfs-a contents (build-squashfs.sh output, at most rootfs-a's size)
  --idbloader F   written at sector 64 (byte 32768); needs --uboot-itb
  --uboot-itb F   written at sector 16384 (byte 8388608); needs --idbloader
  --uboot-env F   text file of NAME=value lines, turned into an env image by mkenvimage
  --env-offset N  byte offset of that env image (decimal or 0x hex, inside the raw region)
  --env-size N    env image size (default: the virtual targets' env size in the layout)
  --uuid-seed S   seed for the disk and partition GUIDs (default "atomicnix"), so that
                  the same inputs give the same image
  --layout F      generated/layout/partition-layout.env (default: the one of the checkout
                  this script is in; a copied script, as in a Nix build, must be given it)
USAGE
  exit 2
}
die() { echo "build-image: $*" >&2; exit 1; }

# Sets the LAYOUT_* variables from the KEY='value' lines of the layout file. It is read,
# not sourced, so that a stray or edited line is refused with its line number.
load_layout() { # file key...
  local file=$1 line n=0 key
  shift
  [ -f "$file" ] || die "layout file '$file' does not exist (generated/layout/partition-layout.env; pass --layout)"
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    case "$line" in '' | '#'*) continue ;; esac
    [[ "$line" =~ ^(LAYOUT_[A-Z0-9_]+)=\'([^\']*)\'$ ]] || die "$file:$n: not a LAYOUT_NAME='value' line: $line"
    printf -v "${BASH_REMATCH[1]}" '%s' "${BASH_REMATCH[2]}"
  done <"$file"
  for key in "$@"; do
    [[ "${!key:-}" =~ ^[0-9A-Fa-fx-]+$ ]] || die "$file: $key is missing or not a number/GUID"
  done
}

[ "$#" -ge 1 ] || usage
out=$1
shift
case "$out" in -*) usage ;; esac
boot="" rootfs="" idbloader="" itb="" env_text="" env_offset="" env_size="" uuid_seed=atomicnix
layout="$(cd "$(dirname "$0")" && pwd)/../../generated/layout/partition-layout.env"
while [ "$#" -gt 0 ]; do
  [ "$#" -ge 2 ] || { echo "build-image: '$1' needs a value" >&2; usage; }
  case "$1" in
    --boot-vfat) boot=$2 ;;
    --rootfs) rootfs=$2 ;;
    --idbloader) idbloader=$2 ;;
    --uboot-itb) itb=$2 ;;
    --uboot-env) env_text=$2 ;;
    --env-offset) env_offset=$2 ;;
    --env-size) env_size=$2 ;;
    --uuid-seed) uuid_seed=$2 ;;
    --layout) layout=$2 ;;
    *) echo "build-image: unknown argument '$1'" >&2; usage ;;
  esac
  shift 2
done
[ -n "$boot" ] || { echo "build-image: --boot-vfat is required" >&2; usage; }
[ -n "$rootfs" ] || { echo "build-image: --rootfs is required" >&2; usage; }
{ [ -n "$idbloader" ] && [ -z "$itb" ]; } && die "--idbloader needs --uboot-itb"
{ [ -z "$idbloader" ] && [ -n "$itb" ]; } && die "--uboot-itb needs --idbloader"
{ [ -n "$env_text" ] && [ -z "$env_offset" ]; } && die "--uboot-env needs --env-offset"
{ [ -z "$env_text" ] && [ -n "$env_offset" ]; } && die "--env-offset needs --uboot-env"
for f in "$boot" "$rootfs" ${idbloader:+"$idbloader"} ${itb:+"$itb"} ${env_text:+"$env_text"}; do
  [ -f "$f" ] || die "input file '$f' does not exist"
done
for cmd in sfdisk dd truncate sha256sum; do command -v "$cmd" >/dev/null || die "$cmd not found"; done
load_layout "$layout" LAYOUT_SECTOR_BYTES LAYOUT_MIB LAYOUT_RAW_END LAYOUT_IMAGE_END \
  LAYOUT_BOOT_A_START LAYOUT_BOOT_A_SIZE LAYOUT_BOOT_A_TYPE LAYOUT_ROOTFS_A_START LAYOUT_ROOTFS_A_SIZE LAYOUT_ROOTFS_A_TYPE \
  LAYOUT_ENV_VIRTUAL_SIZE

readonly MiB=$LAYOUT_MIB SECTOR=$LAYOUT_SECTOR_BYTES
readonly RAW_END=$LAYOUT_RAW_END
readonly BOOT_START=$LAYOUT_BOOT_A_START BOOT_SIZE=$LAYOUT_BOOT_A_SIZE
readonly ROOT_START=$LAYOUT_ROOTFS_A_START ROOT_SIZE=$LAYOUT_ROOTFS_A_SIZE
readonly LAYOUT_END=$LAYOUT_IMAGE_END
readonly IMAGE_SIZE=$((LAYOUT_END + MiB))
readonly IDB_OFFSET=$((64 * SECTOR)) ITB_OFFSET=$((16384 * SECTOR))
readonly GPT_PRIMARY_END=$((34 * SECTOR))
readonly TYPE_BOOT=$LAYOUT_BOOT_A_TYPE TYPE_ROOT=$LAYOUT_ROOTFS_A_TYPE
[ -n "$env_size" ] || env_size=$LAYOUT_ENV_VIRTUAL_SIZE

size_of() { stat -c %s -- "$1"; }
# number from decimal or 0x hex, or die naming the option
num() {
  [[ "$2" =~ ^(0x[0-9a-fA-F]+|[0-9]+)$ ]] || die "$1 must be a decimal or 0x hex number, got '$2'"
  echo $(($2))
}
# refuse anything that would not fit its place in the layout
fits() { # name file start end
  local n; n=$(size_of "$2")
  [ "$n" -gt 0 ] || die "$1 '$2' is empty"
  [ $(($3 + n)) -le "$4" ] || die "$1 '$2' is $n bytes; from byte $3 it would run past byte $4"
}
fits "boot-a image" "$boot" "$BOOT_START" $((BOOT_START + BOOT_SIZE))
fits "rootfs-a image" "$rootfs" "$ROOT_START" $((ROOT_START + ROOT_SIZE))
if [ -n "$idbloader" ]; then
  fits "idbloader" "$idbloader" "$IDB_OFFSET" "$ITB_OFFSET"
  fits "u-boot.itb" "$itb" "$ITB_OFFSET" "$RAW_END"
fi
if [ -n "$env_text" ]; then
  command -v mkenvimage >/dev/null || die "mkenvimage not found (package u-boot-tools)"
  env_offset=$(num --env-offset "$env_offset")
  env_size=$(num --env-size "$env_size")
  [ "$env_offset" -ge "$GPT_PRIMARY_END" ] || die "--env-offset $env_offset overlaps the primary GPT (bytes 0..$GPT_PRIMARY_END)"
  [ $((env_offset + env_size)) -le "$RAW_END" ] || die "U-Boot env at $env_offset+$env_size runs past the raw region (byte $RAW_END)"
  if [ -n "$idbloader" ]; then
    for r in "idbloader:$IDB_OFFSET:$(size_of "$idbloader")" "u-boot.itb:$ITB_OFFSET:$(size_of "$itb")"; do
      IFS=: read -r rn rs rl <<<"$r"
      if [ "$env_offset" -lt $((rs + rl)) ] && [ $((env_offset + env_size)) -gt "$rs" ]; then
        die "U-Boot env at $env_offset+$env_size overlaps $rn at $rs+$rl"
      fi
    done
  fi
fi

# Deterministic GUIDs (RFC 4122 version 4 layout) from the seed and a name.
guid() {
  local h; h=$(printf '%s:%s' "$uuid_seed" "$1" | sha256sum | cut -c1-32)
  printf '%s-%s-4%s-%x%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:13:3}" $(( (16#${h:16:1} & 3) | 8 )) "${h:17:3}" "${h:20:12}" | tr a-f A-F
}

tmp="$out.tmp.$$"
work=$(mktemp -d)
trap 'rm -rf -- "$tmp" "$work"' EXIT
rm -f -- "$out"
truncate -s "$IMAGE_SIZE" "$tmp"

sfdisk --quiet --no-reread --no-tell-kernel "$tmp" >"$work/sfdisk.log" 2>&1 <<TABLE || { cat "$work/sfdisk.log" >&2; die "sfdisk failed"; }
label: gpt
label-id: $(guid disk)
unit: sectors
sector-size: $SECTOR

start=$((BOOT_START / SECTOR)), size=$((BOOT_SIZE / SECTOR)), type=$TYPE_BOOT, uuid=$(guid boot-a), name="boot-a"
start=$((ROOT_START / SECTOR)), size=$((ROOT_SIZE / SECTOR)), type=$TYPE_ROOT, uuid=$(guid rootfs-a), name="rootfs-a"
TABLE

# write FILE at byte OFFSET without truncating the image and keeping holes
put() { dd if="$1" of="$tmp" bs=512 seek=$(($2 / 512)) conv=notrunc,sparse status=none || die "writing '$1' at byte $2 failed"; }
if [ -n "$idbloader" ]; then
  put "$idbloader" "$IDB_OFFSET"
  put "$itb" "$ITB_OFFSET"
fi
if [ -n "$env_text" ]; then
  mkenvimage -s "$env_size" -o "$work/env.bin" "$env_text" || die "mkenvimage failed on '$env_text'"
  put "$work/env.bin" "$env_offset"
fi
dd if="$boot" of="$tmp" bs=1M seek=$((BOOT_START / MiB)) conv=notrunc,sparse status=none || die "writing boot-a failed"
dd if="$rootfs" of="$tmp" bs=1M seek=$((ROOT_START / MiB)) conv=notrunc,sparse status=none || die "writing rootfs-a failed"
mv -f -- "$tmp" "$out"
echo "build-image: wrote $out ($IMAGE_SIZE bytes, sparse; boot-a, rootfs-a${idbloader:+, U-Boot}${env_text:+, U-Boot env at $env_offset})" >&2
