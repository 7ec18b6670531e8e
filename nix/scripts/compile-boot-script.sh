#!/usr/bin/env bash
# Compiles a U-Boot boot script source (boot.cmd) into a legacy script image
# (boot.scr) with `mkimage -C none -A <arch> -T script`, substituting @buildId@ and
# @kernelParams@ (the system's init= and boot.kernelParams; no default, so every
# build states the command line of the system it boots).
# nix/boot-script.nix and the twin build call this with the same arguments.
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: compile-boot-script.sh BOOT_CMD OUT --kernel-params P [--arch arm64] [--build-id ID] [--cmd-out F]
  BOOT_CMD       script source (nix/scripts/boot.cmd)
  OUT            compiled script image (boot.scr)
  --arch A       mkimage architecture (default arm64)
  --build-id ID  replaces @buildId@ (default "dev"); letters, digits and ._:+- only
  --kernel-params P  replaces @kernelParams@: init=... and the kernel parameters
                 (no quotes, $, backslashes, ; or newlines: it is a U-Boot string)
  --cmd-out F    also write the substituted source there (shipped as boot.cmd)
USAGE
  exit 2
}
die() { echo "compile-boot-script: $*" >&2; exit 1; }

[ "$#" -ge 2 ] || usage
src=$1 out=$2
shift 2
arch=arm64 build_id=dev cmd_out="" kernel_params=""
while [ "$#" -gt 0 ]; do
  [ "$#" -ge 2 ] || { echo "compile-boot-script: '$1' needs a value" >&2; usage; }
  case "$1" in
    --arch) arch=$2 ;;
    --build-id) build_id=$2 ;;
    --cmd-out) cmd_out=$2 ;;
    --kernel-params) kernel_params=$2 ;;
    *) echo "compile-boot-script: unknown argument '$1'" >&2; usage ;;
  esac
  shift 2
done
[ -f "$src" ] || die "boot script source '$src' does not exist"
# The ID is pasted into a U-Boot echo line: keep it free of quotes and $.
[[ "$build_id" =~ ^[A-Za-z0-9._:+-]+$ ]] || die "--build-id '$build_id' may only hold letters, digits and ._:+-"
[ -n "$kernel_params" ] || { echo "compile-boot-script: --kernel-params is required" >&2; usage; }
case "$kernel_params" in *[\"\$\\\;\']* | *[[:cntrl:]]*) die "--kernel-params '$kernel_params' may not hold quotes, \$, backslashes, ; or control characters" ;; esac
[[ " $kernel_params " == *" init="* ]] || die "--kernel-params '$kernel_params' has no init=: the NixOS initrd cannot find the system without it"
command -v mkimage >/dev/null || die "mkimage not found (package u-boot-tools)"

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
params_sed=${kernel_params//&/\\&}
params_sed=${params_sed//|/\\|}
sed -e "s/@buildId@/$build_id/g" -e "s|@kernelParams@|$params_sed|g" "$src" >"$work/boot.cmd"
if left=$(grep -n '@[A-Za-z][A-Za-z0-9]*@' "$work/boot.cmd"); then
  die "unsubstituted placeholder in '$src': $left"
fi
# mkimage stamps the header with SOURCE_DATE_EPOCH when set: fixed for reproducibility.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-315532800} \
  mkimage -C none -A "$arch" -T script -n "AtomicNix boot $build_id" -d "$work/boot.cmd" "$work/boot.scr" >/dev/null \
  || die "mkimage failed on '$src'"
mv -f -- "$work/boot.scr" "$out"
if [ -n "$cmd_out" ]; then cp -- "$work/boot.cmd" "$cmd_out"; fi
echo "compile-boot-script: wrote $out (arch $arch, build $build_id)" >&2
