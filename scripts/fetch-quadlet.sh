#!/usr/bin/env bash
# Makes the Podman 5.4 Quadlet generator of Debian trixie available on this machine
# for the generator test (specs/quadlet: quadlet.generator.all-keys), and prints its path.
#
# Why this way: the host may run an older Debian whose podman is not 5.4, and the
# firmware's allow-list is pinned to 5.4. We fetch only the trixie `podman` .deb with
# a PRIVATE apt configuration (own sources list, lists and archive cache), so the
# host's apt state is never touched, and unpack it with dpkg-deb -x into a cache
# outside the repository. The mirror is read from the host's own apt sources, so no
# mirror host name is written into the repository.
#
# Usage: scripts/fetch-quadlet.sh      prints the quadlet binary path on stdout
# Env:   ATOMICNIX_QUADLET_CACHE       cache dir (default /var/cache/atomicnix/quadlet)
#        ATOMICNIX_QUADLET_SUITE       Debian suite to take podman from (default trixie)
set -euo pipefail

cache=${ATOMICNIX_QUADLET_CACHE:-/var/cache/atomicnix/quadlet}
suite=${ATOMICNIX_QUADLET_SUITE:-trixie}
root=$cache/root
bin=$root/usr/libexec/podman/quadlet

usable() { [ -x "$bin" ] && "$bin" -version >/dev/null 2>&1; }

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if usable; then echo "$bin"; exit 0; fi

# The first Debian mirror of the host's apt sources (deb822 or one-line format),
# skipping security mirrors (their layout differs per suite).
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ]; then
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } else next } }' "$f")
    [ -n "$mirror" ] && break
  done
fi
if [ -z "$mirror" ]; then
  echo "fetch-quadlet: no Debian mirror found in /etc/apt/sources.list{,.d/*}" >&2
  exit 1
fi

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
apt_dir=$cache/apt
rm -rf "$apt_dir"
mkdir -p "$apt_dir/etc/parts" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
echo "deb [signed-by=$keyring] $mirror $suite main" >"$apt_dir/etc/sources.list"
: >"$apt_dir/status"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
  -o "Dir::Etc::SourceParts=$apt_dir/etc/parts"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir/cache"
  -o "APT::Sandbox::User=root"
  -o "Acquire::Languages=none"
)
echo "fetch-quadlet: downloading podman from Debian $suite" >&2
apt-get "${apt_opts[@]}" -qq update >&2
(cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" -qq download podman >&2)

# Only the quadlet binary is needed; it links against libc only.
rm -rf "$root.tmp" "$root.new"
mkdir -p "$root.tmp" "$root.new/usr/libexec/podman"
dpkg-deb -x "$apt_dir"/debs/podman_*.deb "$root.tmp"
cp -p "$root.tmp/usr/libexec/podman/quadlet" "$root.new/usr/libexec/podman/quadlet"
rm -rf "$root" "$root.tmp"
mv "$root.new" "$root"
rm -rf "$apt_dir"
if ! usable; then
  echo "fetch-quadlet: $bin does not run on this host" >&2
  exit 1
fi
echo "$bin"
