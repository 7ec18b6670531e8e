#!/usr/bin/env bash
# Builds the read-only root filesystem image: squashfs, zstd, 1 MiB blocks, no
# xattrs, every entry owned by 0:0. Called identically by nix/squashfs.nix (with the
# pseudo-root it assembled from the closure) and by the twin build (with its
# Debian root). The compression level is an argument: 19 for release builds, lower
# for quick test builds. The image is written next to OUT and renamed into place
# only when it fits the limit, so a failed build never leaves an OUT behind.
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: build-squashfs.sh ROOTDIR OUT [--level N] [--max-bytes N] [--owners root|keep]
  ROOTDIR      directory tree that becomes /
  OUT          squashfs image to write (e.g. .../rootfs.squashfs)
  --level N    zstd compression level 1..22 (default 19, the release level)
  --max-bytes N  fail when the image is larger (default 1073741824 = the 1 GiB slot)
  --owners M   root (default): every file owned by root, as a Nix store closure must be;
               keep: the tree's owners (a distribution root with service users)
USAGE
  exit 2
}
die() { echo "build-squashfs: $*" >&2; exit 1; }

[ "$#" -ge 2 ] || usage
root=$1 out=$2
shift 2
level=19
max_bytes=1073741824
owners=root
while [ "$#" -gt 0 ]; do
  case "$1" in
    --level) [ "$#" -ge 2 ] || usage; level=$2; shift 2 ;;
    --max-bytes) [ "$#" -ge 2 ] || usage; max_bytes=$2; shift 2 ;;
    --owners) [ "$#" -ge 2 ] || usage; owners=$2; shift 2 ;;
    *) echo "build-squashfs: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ "$level" =~ ^[0-9]+$ ]] && [ "$level" -ge 1 ] && [ "$level" -le 22 ] || die "--level must be 1..22, got '$level'"
case "$owners" in root) owner_flag=-all-root ;; keep) owner_flag="" ;; *) die "--owners must be root or keep, got '$owners'" ;; esac
[[ "$max_bytes" =~ ^[0-9]+$ ]] && [ "$max_bytes" -gt 0 ] || die "--max-bytes must be a positive integer, got '$max_bytes'"
[ -d "$root" ] || die "root directory '$root' does not exist"
out_dir=$(dirname -- "$out")
[ -d "$out_dir" ] || die "output directory '$out_dir' does not exist"
command -v mksquashfs >/dev/null || die "mksquashfs not found (package squashfs-tools)"

# A stale image from an earlier run must not pass for this build's output.
rm -f -- "$out"
tmp="$out.tmp.$$"
trap 'rm -f -- "$tmp"' EXIT
# Fixed timestamps keep the image reproducible (Nix sets SOURCE_DATE_EPOCH; the
# twin build inherits the same default).
epoch=${SOURCE_DATE_EPOCH:-315532800}
mksquashfs "$root" "$tmp" -noappend -quiet -no-progress \
  -comp zstd -Xcompression-level "$level" -b 1048576 \
  -no-xattrs ${owner_flag:+"$owner_flag"} -mkfs-time "$epoch" -all-time "$epoch" >&2 \
  || die "mksquashfs failed for '$root'"

size=$(stat -c %s -- "$tmp")
if [ "$size" -gt "$max_bytes" ]; then
  die "image is $size bytes, over the limit of $max_bytes bytes; nothing written to '$out'"
fi
mv -f -- "$tmp" "$out"
trap - EXIT
echo "build-squashfs: wrote $out ($size bytes, zstd level $level, limit $max_bytes)" >&2
