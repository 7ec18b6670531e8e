#!/usr/bin/env bash
# Builds the signed RAUC update bundle: verity format, compatible/version in
# [update], exactly two images, `boot` (the slot's boot.vfat) and `rootfs` (the
# squashfs). nix/rauc-bundle.nix and the twin build call it with the same
# arguments; the signing key is only read here and never copied into the bundle.
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: build-rauc-bundle.sh OUT --boot-vfat F --rootfs F --compatible C --version V --cert F --key F [--keyring F]
  OUT            bundle to write (e.g. .../rock64.raucb)
  --boot-vfat F  boot partition image (from build-boot-vfat.sh)
  --rootfs F     root filesystem image (from build-squashfs.sh)
  --compatible C RAUC compatible string (rock64)
  --version V    bundle version (update-response pattern, e.g. 25.11.20251201.a1b2c3d)
  --cert F       signing certificate (PEM)
  --key F        signing private key (PEM) or a PKCS#11 URI
  --keyring F    CA certificate(s): rauc checks the new signature against it
USAGE
  exit 2
}
die() { echo "build-rauc-bundle: $*" >&2; exit 1; }

[ "$#" -ge 1 ] || usage
out=$1
shift
case "$out" in -*) usage ;; esac
boot="" rootfs="" compatible="" version="" cert="" key="" keyring=""
while [ "$#" -gt 0 ]; do
  [ "$#" -ge 2 ] || { echo "build-rauc-bundle: '$1' needs a value" >&2; usage; }
  case "$1" in
    --boot-vfat) boot=$2 ;;
    --rootfs) rootfs=$2 ;;
    --compatible) compatible=$2 ;;
    --version) version=$2 ;;
    --cert) cert=$2 ;;
    --key) key=$2 ;;
    --keyring) keyring=$2 ;;
    *) echo "build-rauc-bundle: unknown argument '$1'" >&2; usage ;;
  esac
  shift 2
done
for opt in boot:--boot-vfat rootfs:--rootfs compatible:--compatible version:--version cert:--cert key:--key; do
  var=${opt%%:*}
  [ -n "${!var}" ] || { echo "build-rauc-bundle: ${opt#*:} is required" >&2; usage; }
done
for f in "$boot" "$rootfs" "$cert" ${keyring:+"$keyring"}; do [ -f "$f" ] || die "input file '$f' does not exist"; done
case "$key" in pkcs11:*) ;; *) [ -f "$key" ] || die "key file '$key' does not exist" ;; esac
# Manifest values are single INI lines. The version must also be one the update
# server may announce: the `version` pattern of schema update-response
# (specs/update-polling), e.g. 25.11.20251201.a1b2c3d.
[[ "$compatible" =~ ^[A-Za-z0-9._-]+$ ]] || die "--compatible '$compatible' may only hold letters, digits and ._-"
[[ "$version" =~ ^[0-9A-Za-z_+~-]+(\.[0-9A-Za-z_+~-]+)*$ ]] && [ "${#version}" -le 64 ] \
  || die "--version '$version' must be dot-separated words of letters, digits and _+~- (at most 64 characters)"
command -v rauc >/dev/null || die "rauc not found (package rauc)"

work=$(mktemp -d)
tmp="$out.tmp.$$"
trap 'rm -rf -- "$work" "$tmp"' EXIT
rm -f -- "$out"
mkdir "$work/content"
# sparse copies: boot.vfat is 128 MiB of mostly zeros
cp --sparse=always -- "$boot" "$work/content/boot.vfat"
cp --sparse=always -- "$rootfs" "$work/content/rootfs.squashfs"
# The seed's manifest declares `type=raw` for both images. RAUC releases before
# explicit image types (bookworm's 1.8) reject that key; they infer the same raw
# copy from the file names, so the key is dropped only when rauc refuses it.
write_manifest() {
  local type_line=$1
  cat >"$work/content/manifest.raucm" <<MANIFEST
[update]
compatible=$compatible
version=$version

[bundle]
format=verity

[image.boot]
filename=boot.vfat
${type_line}
[image.rootfs]
filename=rootfs.squashfs
${type_line}
MANIFEST
}
args=(bundle --cert="$cert" --key="$key")
[ -n "$keyring" ] && args+=(--keyring="$keyring")
write_manifest "type=raw"
if ! rauc "${args[@]}" "$work/content" "$tmp" >"$work/log" 2>&1; then
  if grep -q "Invalid key 'type'" "$work/log"; then
    echo "build-rauc-bundle: $(rauc --version) does not know image 'type'; building without it" >&2
    rm -f -- "$tmp"
    write_manifest ""
    rauc "${args[@]}" "$work/content" "$tmp" >"$work/log" 2>&1 || { cat "$work/log" >&2; die "rauc bundle failed"; }
  else
    cat "$work/log" >&2
    die "rauc bundle failed"
  fi
fi
mv -f -- "$tmp" "$out"
echo "build-rauc-bundle: wrote $out ($compatible $version, verity, images boot and rootfs)" >&2
