#!/usr/bin/env bash
# Builds the twin's root filesystem in two cached stages and prints the root's path:
#
#   1. base: `mmdebstrap --variant=minbase trixie` with the package list below
#      (the Debian stand-in for the NixOS closure). Slow (minutes), rebuilt only
#      when the package list, the architecture or this script change.
#   2. root: a copy of the base plus the AtomicNix runtime (dist/device/*.mjs from
#      `npx tsx device/build.ts`), device/units and device/etc installed where the
#      NixOS modules put them (twin/README.md has the mapping), and the twin's own
#      files (twin/rootfs/). Rebuilt when any of those change (seconds).
#
# Each stage lives in $ATOMICNIX_TWIN_CACHE (default /var/cache/atomicnix/twin) under
# the sha256 of its inputs, is built into a temp dir and renamed into place, so an
# interrupted build never leaves a half root behind.
#
# The Debian mirror is read from the host's apt sources at run time and is never
# written into the root or any file (the root's apt sources and lists are removed).
set -euo pipefail

usage() {
  echo "usage: build-root.sh [--arch amd64|arm64] [--base-only] [--print-key]" >&2
  exit 2
}
die() { echo "build-root: $*" >&2; exit 1; }
say() { echo "[twin $(date +%T)] $*" >&2; }

arch=amd64 print_key=0 base_only=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --arch) [ "$#" -ge 2 ] || usage; arch=$2; shift 2 ;;
    --print-key) print_key=1; shift ;;
    --base-only) base_only=1; shift ;;
    *) usage ;;
  esac
done
case "$arch" in amd64 | arm64) ;; *) die "unsupported --arch '$arch' (amd64 or arm64)" ;; esac

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cache=${ATOMICNIX_TWIN_CACHE:-/var/cache/atomicnix/twin}
case "$cache" in "$repo"/*) die "ATOMICNIX_TWIN_CACHE must be outside the repository" ;; esac

kernel_pkg=linux-image-$arch
# The gateway's package set: the NixOS modules' services (systemd-container is
# machined, and dbus-user-session the user bus, which NixOS always has: `systemctl --user
# -M appsvc@` needs both) plus what the initrd
# copies out of the root (busybox-static, fdisk's sfdisk, dosfstools, f2fs-tools).
PACKAGES=(
  systemd systemd-sysv udev dbus dbus-user-session libpam-systemd systemd-container
  openssh-server rauc rauc-service
  dnsmasq-base dnsmasq chrony nftables iproute2 rsyslog
  podman uidmap passt crun
  nodejs
  f2fs-tools dosfstools fdisk libubootenv-tool kmod busybox-static
  curl jq nano procps iputils-ping ca-certificates
  "$kernel_pkg"
)

sha() { sha256sum | cut -c1-16; }

# ---- the mirror, from the host's apt configuration (never written anywhere)
host_mirror() {
  local f uri
  # deb822 .sources: the URIs of the stanza that is not a -security/-updates suite
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk 'BEGIN{RS=""} /Suites:/ && !/security/ { if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { s=substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", s); print s; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1=="deb" && $0 !~ /security/ { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  return 1
}

build_base() {
  [ -d "$base_dir/root" ] && { say "base root cached: $base_dir"; return; }
  command -v mmdebstrap >/dev/null || die "mmdebstrap not found (apt-get install mmdebstrap)"
  local mirror; mirror=$(host_mirror) || die "no Debian mirror in the host's apt sources"
  if [ "$arch" != "$(dpkg --print-architecture)" ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    die "building $arch needs qemu-user binfmt (apt-get install qemu-user-static binfmt-support; mount binfmt_misc)"
  fi
  mkdir -p "$cache"
  local tmp="$base_dir.tmp.$$"
  rm -rf -- "$tmp"
  mkdir -p "$tmp"
  trap 'rm -rf -- "$tmp"' EXIT
  say "mmdebstrap trixie $arch (${#PACKAGES[@]} packages) -> $base_dir"
  local start=$SECONDS
  local includes; includes=$(IFS=,; echo "${PACKAGES[*]}")
  # update-initramfs is diverted before the kernel is installed: the twin's initrd
  # is assembled by build-initrd.sh (running mkinitramfs under qemu-user takes ~17 min).
  mmdebstrap --variant=minbase --arch="$arch" --include="$includes" \
    --aptopt='APT::Install-Recommends "false"' \
    --essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && printf "#!/bin/sh\necho \"update-initramfs: diverted by the AtomicNix twin (twin/build-initrd.sh builds the initrd)\"\n" > "$1/usr/sbin/update-initramfs" && chmod 755 "$1/usr/sbin/update-initramfs"' \
    --customize-hook='rm -f "$1/etc/apt/sources.list" "$1"/etc/apt/sources.list.d/*; rm -rf "$1"/var/lib/apt/lists/*; mkdir -p "$1/var/lib/apt/lists/partial"' \
    trixie "$tmp/root" "deb $mirror trixie main" >&2 || die "mmdebstrap failed"
  grep -rqs "${mirror#*://}" "$tmp/root/etc/apt" && die "the mirror name leaked into the root's apt configuration"
  mv -- "$tmp" "$base_dir"
  trap - EXIT
  say "base root built in $((SECONDS - start)) s ($(du -sh "$base_dir/root" | cut -f1))"
}

# A foreign root runs its maintainer scripts (and install-runtime.sh its chroot
# commands) through qemu-user. Kept out of build_base so that the base key, and with
# it the cached amd64 base, does not change with this check.
FOREIGN_PACKAGES="qemu-user-static binfmt-support arch-test"
check_foreign_arch() {
  [ "$arch" = "$(dpkg --print-architecture)" ] && return
  local qarch missing=()
  case "$arch" in arm64) qarch=aarch64 ;; amd64) qarch=x86_64 ;; esac
  [ -x "/usr/bin/qemu-$qarch-static" ] || missing+=(qemu-user-static)
  command -v update-binfmts >/dev/null || missing+=(binfmt-support)
  command -v arch-test >/dev/null || missing+=(arch-test)
  [ "${#missing[@]}" -eq 0 ] \
    || die "building the $arch twin on $(dpkg --print-architecture) needs qemu-user binfmt: apt-get install ${missing[*]} (all of: $FOREIGN_PACKAGES)"
  # In a container binfmt_misc is often not mounted and the handlers not registered.
  if [ ! -e "/proc/sys/fs/binfmt_misc/qemu-$qarch" ] && [ "$(id -u)" = 0 ]; then
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
    update-binfmts --enable "qemu-$qarch" >/dev/null 2>&1 || true
  fi
  grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$qarch" 2>/dev/null \
    || die "qemu-$qarch is not registered with binfmt_misc: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && update-binfmts --enable qemu-$qarch"
  # F (fix binary): the interpreter is opened at registration, so `chroot ROOT cmd`
  # works without a copy of qemu inside the root.
  grep -q '^flags:.*F' "/proc/sys/fs/binfmt_misc/qemu-$qarch" \
    || die "qemu-$qarch is registered without the F flag (install qemu-user-static, not qemu-user)"
  arch-test "$arch" >/dev/null 2>&1 || die "arch-test $arch fails: $arch binaries do not run on this host"
}

# The base depends on the architecture, the package list and the recipe above.
base_key=$( { printf '%s\n' "$arch" "${PACKAGES[@]}"; declare -f host_mirror build_base; } | sha)
base_dir=$cache/base-$arch-$base_key

# ---- stage 2 inputs: the bundled runtime, unit files, configs, the twin's files
# Development RAUC keys (certs/gen-dev-certs.sh), made once per cache: the CA goes
# into the root's keyring, the signer signs the twin's bundles.
certs_dir=$cache/dev-certs
ensure_certs() {
  [ -f "$certs_dir/dev.ca.cert.pem" ] && return
  [ -x "$repo/certs/gen-dev-certs.sh" ] || die "certs/gen-dev-certs.sh missing"
  local tmp="$certs_dir.tmp.$$"
  rm -rf -- "$tmp"
  bash "$repo/certs/gen-dev-certs.sh" "$tmp" >&2 || die "gen-dev-certs.sh failed"
  mv -- "$tmp" "$certs_dir"
  say "development RAUC keys in $certs_dir"
}

runtime_inputs() {
  sha256sum < "$certs_dir/dev.ca.cert.pem"
  (cd "$repo" && find dist/device device/units device/etc device/scripts twin/rootfs twin/install-runtime.sh twin/make-probe-image.sh -type f 2>/dev/null | LC_ALL=C sort | xargs sha256sum)
}

build_runtime_bundle() {
  say "bundling the device runtime (npx tsx device/build.ts)"
  (cd "$repo" && rm -rf dist/device && npx tsx device/build.ts >/dev/null 2>"$cache/device-build.log") \
    || die "device/build.ts failed: $(cat "$cache/device-build.log")"
  ls "$repo"/dist/device/*.mjs >/dev/null 2>&1 || die "device/build.ts produced no dist/device/*.mjs"
}

build_root() {
  local key dir tmp start=$SECONDS
  key=$( { echo "$base_key"; runtime_inputs; } | sha)
  dir=$cache/root-$arch-$key
  if [ "$print_key" = 1 ]; then echo "$dir"; return; fi
  if [ -d "$dir/root" ]; then say "root cached: $dir"; echo "$dir"; return; fi
  tmp="$dir.tmp.$$"
  rm -rf -- "$tmp"
  mkdir -p "$tmp"
  trap 'rm -rf -- "$tmp"' EXIT
  say "copying the base root"
  cp -a --reflink=auto "$base_dir/root" "$tmp/root"
  say "installing the runtime, units and configs"
  bash "$here/install-runtime.sh" "$repo" "$tmp/root" "$certs_dir/dev.ca.cert.pem" >&2 || die "install-runtime.sh failed"
  echo "$key" > "$tmp/key"
  mv -- "$tmp" "$dir"
  trap - EXIT
  say "root ready in $((SECONDS - start)) s: $dir/root"
  echo "$dir"
}

if [ "$print_key" = 0 ]; then
  check_foreign_arch
  build_base
  [ "$base_only" = 1 ] && exit 0
  # Builds of both architectures may run at once (scripts/prebuild-vm-twin.sh), and
  # the runtime bundle (dist/device, rebuilt from scratch), the dev keys and the
  # root's copy of both are shared: one build at a time from here to the root.
  exec 8> "$cache/.runtime.lock"
  flock 8
  build_runtime_bundle
  ensure_certs
else
  [ -d "$base_dir/root" ] || die "base root not built"
fi
build_root
