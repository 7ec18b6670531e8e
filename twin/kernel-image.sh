#!/usr/bin/env bash
# Writes the raw arm64 `Image` of a Debian arm64 kernel package's vmlinuz. U-Boot's
# booti (Rock64, what NixOS puts on the boot partition) and QEMU 7.2's -kernel boot a
# raw Image; Debian ships it gzip-compressed, and a kernel built with
# CONFIG_EFI_ZBOOT is a PE file ("MZ", "zimg") whose payload is the compressed Image.
# usage: kernel-image.sh VMLINUZ OUT
set -euo pipefail
[ "$#" -eq 2 ] || { echo "usage: kernel-image.sh VMLINUZ OUT" >&2; exit 2; }
src=$1 out=$2
die() { echo "kernel-image: $*" >&2; exit 1; }
bytes() { dd if="$1" bs=1 skip="$2" count="$3" status=none | tr -d '\0'; }
u32le() { od -An -tu4 -j"$2" -N4 --endian=little "$1" | tr -d ' '; }
decompress() {
  case "$1" in
    gzip) gzip -dc ;;
    zstd) zstd -qdc ;;
    xz) xz -dc ;;
    lzma) xz --format=lzma -dc ;;
    *) die "unknown compression '$1'" ;;
  esac
}
tmp=$out.tmp.$$
trap 'rm -f -- "$tmp"' EXIT
magic=$(head -c 2 "$src" | od -An -tx1 | tr -d ' \n')
if [ "$magic" = 1f8b ]; then
  gzip -dc "$src" > "$tmp"
elif [ "$magic" = 4d5a ] && [ "$(bytes "$src" 4 4)" = zimg ]; then
  # zboot header (drivers/firmware/efi/libstub/zboot-header.S): payload offset at 8,
  # payload size at 12, compression name at 24
  tail -c +$(($(u32le "$src" 8) + 1)) "$src" | head -c "$(u32le "$src" 12)" | decompress "$(bytes "$src" 24 32)" > "$tmp"
else
  cp -- "$src" "$tmp"
fi
# arm64 boot protocol: a raw Image carries "ARM\x64" at offset 0x38
[ "$(bytes "$tmp" 56 4)" = "ARMd" ] || die "$src does not hold an arm64 Image (no ARM\\x64 magic at 0x38)"
mv -f -- "$tmp" "$out"
trap - EXIT
