#!/usr/bin/env bash
# Assembles the flashable eMMC image with the seed's layout (sectors of 512 bytes):
#   0 .. 16 MiB       raw region: idbloader.img at sector 64, u-boot.itb at sector 16384
#   16 MiB, 128 MiB   boot-a   (XBOOTLDR type), the slot's boot.vfat
#   144 MiB, 1024 MiB rootfs-a (Linux root aarch64 type), the squashfs
#   1168 MiB ..       unallocated: the initrd creates boot-b, rootfs-b and data there
# The file is sparse and 1 MiB longer than the layout so the backup GPT fits behind
# it. Optionally a U-Boot environment (mkenvimage) is written at a raw offset inside
# the first 16 MiB; the twin keeps BOOT_ORDER/BOOT_x_LEFT there, read by
# fw_printenv through a `IMAGE OFFSET SIZE` fw_env.config line.
# nix/image.nix and the twin build call this with the same arguments.
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: build-image.sh OUT --boot-vfat F --rootfs F [--idbloader F --uboot-itb F]
                      [--uboot-env TEXT --env-offset N [--env-size N]] [--uuid-seed S]
  OUT             image to write (e.g. .../atomicnix-25.11.img)
  --boot-vfat F   boot-a contents (build-boot-vfat.sh output, at most 128 MiB)
  --rootfs F      rootfs-a contents (build-squashfs.sh output, at most 1024 MiB)
  --idbloader F   written at sector 64 (byte 32768); needs --uboot-itb
  --uboot-itb F   written at sector 16384 (byte 8388608); needs --idbloader
  --uboot-env F   text file of NAME=value lines, turned into an env image by mkenvimage
  --env-offset N  byte offset of that env image (decimal or 0x hex, inside the first 16 MiB)
  --env-size N    env image size (default 0x4000)
  --uuid-seed S   seed for the disk and partition GUIDs (default "atomicnix"), so that
                  the same inputs give the same image
USAGE
  exit 2
}
die() { echo "build-image: $*" >&2; exit 1; }

readonly MiB=1048576 SECTOR=512
readonly RAW_END=$((16 * MiB))
readonly BOOT_START=$((16 * MiB)) BOOT_SIZE=$((128 * MiB))
readonly ROOT_START=$((144 * MiB)) ROOT_SIZE=$((1024 * MiB))
readonly LAYOUT_END=$((1168 * MiB))
readonly IMAGE_SIZE=$((LAYOUT_END + MiB))
readonly IDB_OFFSET=$((64 * SECTOR)) ITB_OFFSET=$((16384 * SECTOR))
readonly GPT_PRIMARY_END=$((34 * SECTOR))
readonly TYPE_XBOOTLDR=BC13C2FF-59E6-4262-A352-B275FD6F7172
readonly TYPE_ROOT_ARM64=B921B045-1DF0-41C3-AF44-4C6F280D3FAE

[ "$#" -ge 1 ] || usage
out=$1
shift
case "$out" in -*) usage ;; esac
boot="" rootfs="" idbloader="" itb="" env_text="" env_offset="" env_size=0x4000 uuid_seed=atomicnix
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

start=$((BOOT_START / SECTOR)), size=$((BOOT_SIZE / SECTOR)), type=$TYPE_XBOOTLDR, uuid=$(guid boot-a), name="boot-a"
start=$((ROOT_START / SECTOR)), size=$((ROOT_SIZE / SECTOR)), type=$TYPE_ROOT_ARM64, uuid=$(guid rootfs-a), name="rootfs-a"
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
