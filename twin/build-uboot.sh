#!/usr/bin/env bash
# Builds the twin's U-Boot (qemu_arm64_defconfig + nix/scripts/uboot-rauc.config +
# twin/uboot/qemu-arm64.config) with Debian's aarch64 cross compiler, cached under
# $ATOMICNIX_TWIN_CACHE/uboot-arm64-<key>, and prints that directory. It holds
# u-boot.bin (QEMU's -bios), u-boot-initial-env (U-Boot's compiled default env,
# the base of the env build.sh writes into the image), .config and version.
#
# The source is U-Boot v2026.07, pinned twice:
#   - a release tarball of that tag, sha256 UBOOT_TARBALL_SHA256: $ATOMICNIX_UBOOT_TARBALL,
#     else <repo>/../shared/vendor/u-boot-v2026.07.tar.zst (this machine);
#   - with internet access and no tarball: a shallow git clone of the tag from the
#     U-Boot project, accepted only if it is commit UBOOT_COMMIT.
# usage: build-uboot.sh [--print-key]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cache=${ATOMICNIX_TWIN_CACHE:-/var/cache/atomicnix/twin}
say() { echo "[twin $(date +%T)] $*" >&2; }
die() { echo "build-uboot: $*" >&2; exit 1; }

UBOOT_VERSION=v2026.07
UBOOT_COMMIT=ece349ade2973e220f524ce59e59711cc919263f
UBOOT_TARBALL_SHA256=d159e04bafffef47b3f34ee0abce720322547995a6f5d4b8e31b56e0c4922e0e
UBOOT_GIT=https://source.denx.de/u-boot/u-boot.git
CROSS=${ATOMICNIX_UBOOT_CROSS:-aarch64-linux-gnu-}
fragments=("$repo/nix/scripts/uboot-rauc.config" "$here/uboot/qemu-arm64.config")
# the twin's board variables become part of U-Boot's compiled default env (a blank
# or corrupted env falls back to them, as the Rock64 falls back to boot.cmd's
# defaults); the slot counters do not: those the RAUC boot method creates itself
env_additions=$here/uboot/env-arm64.txt

tarball=${ATOMICNIX_UBOOT_TARBALL:-$repo/../shared/vendor/u-boot-$UBOOT_VERSION.tar.zst}
command -v "${CROSS}gcc" >/dev/null || die "${CROSS}gcc not found (apt-get install gcc-aarch64-linux-gnu; scripts/setup.sh installs it)"
key=$( { echo "$UBOOT_COMMIT $UBOOT_TARBALL_SHA256"; "${CROSS}gcc" --version | head -1; cat "${fragments[@]}" "$env_additions" "$0"; } | sha256sum | cut -c1-16)
[ "${1:-}" = --print-key ] && { echo "$key"; exit 0; }
out=$cache/uboot-arm64-$key
if [ -f "$out/u-boot.bin" ]; then
  say "U-Boot cached: $out"
  echo "$out"
  exit 0
fi

tmp=$out.tmp.$$
rm -rf -- "$tmp"; mkdir -p "$tmp"
trap 'rm -rf -- "$tmp"' EXIT
src=$tmp/src
if [ -f "$tarball" ]; then
  sum=$(sha256sum "$tarball" | cut -d' ' -f1)
  [ "$sum" = "$UBOOT_TARBALL_SHA256" ] || die "$tarball has sha256 $sum, expected $UBOOT_TARBALL_SHA256 (U-Boot $UBOOT_VERSION)"
  say "U-Boot $UBOOT_VERSION from $tarball (sha256 verified)"
  mkdir -p "$src"
  case "$tarball" in
    *.zst) tar -I zstd -xf "$tarball" -C "$src" --strip-components=1 ;;
    *) tar -xf "$tarball" -C "$src" --strip-components=1 ;;
  esac
  echo "tarball sha256:$sum" > "$tmp/source"
else
  say "no U-Boot tarball at $tarball: cloning $UBOOT_VERSION from $UBOOT_GIT"
  git clone -q --depth 1 --branch "$UBOOT_VERSION" "$UBOOT_GIT" "$src"
  got=$(git -C "$src" rev-parse HEAD)
  [ "$got" = "$UBOOT_COMMIT" ] || die "tag $UBOOT_VERSION is commit $got, expected $UBOOT_COMMIT"
  echo "git $UBOOT_COMMIT" > "$tmp/source"
fi

{ echo; echo "/* the AtomicNix twin (twin/uboot/env-arm64.txt) */"; grep -v -e '^#' -e '^[[:space:]]*$' -e '^BOOT_' "$env_additions"; } >> "$src/board/emulation/qemu-arm/qemu-arm.env"
say "U-Boot: configure (qemu_arm64_defconfig + ${fragments[*]##*/})"
make -s -C "$src" CROSS_COMPILE="$CROSS" qemu_arm64_defconfig >&2
cat "${fragments[@]}" >> "$src/.config"
make -s -C "$src" CROSS_COMPILE="$CROSS" olddefconfig >&2
# Kconfig drops a setting whose dependencies are not met without a word: every
# line of the fragments (later files win) must be in the final .config.
declare -A want=()
while IFS= read -r line; do
  case "$line" in
    CONFIG_*=*) want[${line%%=*}]=$line ;;
    "# CONFIG_"*" is not set") n=${line#\# }; want[${n%% *}]=$line ;;
  esac
done < <(cat "${fragments[@]}")
for k in "${!want[@]}"; do
  grep -qxF -- "${want[$k]}" "$src/.config" || die "U-Boot .config lost '${want[$k]}' (dependency not met?): $(grep -E "^(# )?$k[= ]" "$src/.config" || echo absent)"
done
say "U-Boot: build ($(nproc) jobs)"
s=$SECONDS
make -s -C "$src" CROSS_COMPILE="$CROSS" -j"$(nproc)" >&2
make -s -C "$src" CROSS_COMPILE="$CROSS" u-boot-initial-env >&2
say "U-Boot built in $((SECONDS - s)) s"
cp "$src/u-boot.bin" "$src/u-boot-initial-env" "$src/.config" "$tmp/"
echo "$UBOOT_VERSION $UBOOT_COMMIT" > "$tmp/version"
rm -rf -- "$src"
mv -- "$tmp" "$out"
trap - EXIT
echo "$out"
