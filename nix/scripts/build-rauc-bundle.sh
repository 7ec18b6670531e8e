#!/usr/bin/env bash
# Builds the signed RAUC update bundle: verity format, compatible/version in
# [update], exactly two images, `boot` (the slot's boot.vfat) and `rootfs` (the
# squashfs). nix/rauc-bundle.nix and the twin build call it with the same
# arguments; the signing key is only read here and never copied into the bundle.
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: build-rauc-bundle.sh OUT --boot-vfat F --rootfs F --compatible C --version V --cert F --key F [--keyring F]
       build-rauc-bundle.sh --content-out DIR --boot-vfat F --rootfs F --compatible C --version V
       build-rauc-bundle.sh OUT --content DIR --cert F --key F [--keyring F]
  OUT              bundle to write (e.g. .../rock64.raucb)
  --boot-vfat F    boot partition image (from build-boot-vfat.sh)
  --rootfs F       root filesystem image (from build-squashfs.sh)
  --compatible C   RAUC compatible string (rock64)
  --version V      bundle version (update-response pattern, e.g. 25.11.20251201.a1b2c3d)
  --cert F         signing certificate (PEM)
  --key F          signing private key (PEM) or a PKCS#11 URI
  --keyring F      CA certificate(s): rauc checks the new signature against it
  --content-out D  write the unsigned payload (manifest + images) to D and stop:
                   the Nix build does this, no key is needed or read
  --content D      sign a payload written by --content-out (outside the sandbox)
USAGE
  exit 2
}
die() { echo "build-rauc-bundle: $*" >&2; exit 1; }

[ "$#" -ge 1 ] || usage
out="" boot="" rootfs="" compatible="" version="" cert="" key="" keyring="" content_out="" content=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -*) ;;
    *) [ -z "$out" ] || { echo "build-rauc-bundle: a second OUT '$1'" >&2; usage; }; out=$1; shift; continue ;;
  esac
  [ "$#" -ge 2 ] || { echo "build-rauc-bundle: '$1' needs a value" >&2; usage; }
  case "$1" in
    --boot-vfat) boot=$2 ;;
    --rootfs) rootfs=$2 ;;
    --compatible) compatible=$2 ;;
    --version) version=$2 ;;
    --cert) cert=$2 ;;
    --key) key=$2 ;;
    --keyring) keyring=$2 ;;
    --content-out) content_out=$2 ;;
    --content) content=$2 ;;
    *) echo "build-rauc-bundle: unknown argument '$1'" >&2; usage ;;
  esac
  shift 2
done
need() {
  for opt in "$@"; do
    var=${opt%%:*}
    [ -n "${!var}" ] || { echo "build-rauc-bundle: ${opt#*:} is required" >&2; usage; }
  done
}
if [ -n "$content" ]; then
  [ -z "$content_out$boot$rootfs$compatible$version" ] || { echo "build-rauc-bundle: --content takes no payload options" >&2; usage; }
  need out:OUT cert:--cert key:--key
  [ -f "$content/manifest.raucm" ] || die "'$content' holds no manifest.raucm (write it with --content-out)"
elif [ -n "$content_out" ]; then
  [ -z "$out$cert$key$keyring" ] || { echo "build-rauc-bundle: --content-out writes no bundle and reads no key" >&2; usage; }
  need boot:--boot-vfat rootfs:--rootfs compatible:--compatible version:--version
else
  need out:OUT boot:--boot-vfat rootfs:--rootfs compatible:--compatible version:--version cert:--cert key:--key
fi
case "$out" in -*) usage ;; esac
for f in ${boot:+"$boot"} ${rootfs:+"$rootfs"} ${cert:+"$cert"} ${keyring:+"$keyring"}; do [ -f "$f" ] || die "input file '$f' does not exist"; done
case "$key" in "" | pkcs11:*) ;; *) [ -f "$key" ] || die "key file '$key' does not exist" ;; esac
# Manifest values are single INI lines. The version must also be one the update
# server may announce: the `version` pattern of schema update-response
# (specs/update-polling), e.g. 25.11.20251201.a1b2c3d.
if [ -z "$content" ]; then
  [[ "$compatible" =~ ^[A-Za-z0-9._-]+$ ]] || die "--compatible '$compatible' may only hold letters, digits and ._-"
  [[ "$version" =~ ^[0-9A-Za-z_+~-]+(\.[0-9A-Za-z_+~-]+)*$ ]] && [ "${#version}" -le 64 ] \
    || die "--version '$version' must be dot-separated words of letters, digits and _+~- (at most 64 characters)"
fi
[ -n "$content_out" ] || command -v rauc >/dev/null || die "rauc not found (package rauc)"

work=$(mktemp -d)
tmp="${out:-$content_out}.tmp.$$"
trap 'rm -rf -- "$work" "$tmp"' EXIT
mkdir "$work/content"
# The seed's manifest declares `type=raw` for both images. RAUC releases before
# explicit image types (bookworm's 1.8) reject that key; they infer the same raw
# copy from the file names, so the key is dropped only when rauc refuses it.
if [ -n "$content" ]; then
  # sparse copies: boot.vfat is 128 MiB of mostly zeros
  cp --sparse=always -- "$content"/* "$work/content/"
  chmod u+w "$work/content"/*
else
  cp --sparse=always -- "$boot" "$work/content/boot.vfat"
  cp --sparse=always -- "$rootfs" "$work/content/rootfs.squashfs"
  cat >"$work/content/manifest.raucm" <<MANIFEST
[update]
compatible=$compatible
version=$version

[bundle]
format=verity

[image.boot]
filename=boot.vfat
type=raw

[image.rootfs]
filename=rootfs.squashfs
type=raw
MANIFEST
fi
if [ -n "$content_out" ]; then
  rm -rf -- "$content_out"
  mkdir -p -- "$(dirname -- "$content_out")"
  mv -- "$work/content" "$tmp"
  mv -- "$tmp" "$content_out"
  echo "build-rauc-bundle: wrote unsigned payload $content_out ($compatible $version, verity, images boot and rootfs)" >&2
  exit 0
fi
rm -f -- "$out"
args=(bundle --cert="$cert" --key="$key")
[ -n "$keyring" ] && args+=(--keyring="$keyring")
if ! rauc "${args[@]}" "$work/content" "$tmp" >"$work/log" 2>&1; then
  if grep -q "Invalid key 'type'" "$work/log"; then
    echo "build-rauc-bundle: $(rauc --version) does not know image 'type'; building without it" >&2
    rm -f -- "$tmp"
    sed -i '/^type=raw$/d' "$work/content/manifest.raucm"
    rauc "${args[@]}" "$work/content" "$tmp" >"$work/log" 2>&1 || { cat "$work/log" >&2; die "rauc bundle failed"; }
  else
    cat "$work/log" >&2
    die "rauc bundle failed"
  fi
fi
mv -f -- "$tmp" "$out"
echo "build-rauc-bundle: wrote $out (signed, version $(sed -n "s/^version=//p" "$work/content/manifest.raucm"), verity, images boot and rootfs)" >&2
