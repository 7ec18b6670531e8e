#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine: Debian packages that
# are missing, then the npm dependencies from the lockfile. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use (real tools, never stand-ins).
APT_PACKAGES=(git ca-certificates openssl iproute2 nftables dnsmasq chrony rauc rauc-service dbus openssh-client zstd squashfs-tools dosfstools mtools fdisk u-boot-tools libubootenv-tool attr chromium nmap isc-dhcp-client bind9-dnsutils iputils-ping qemu-system-arm u-boot-qemu mmdebstrap systemd-container qemu-system-x86 busybox-static f2fs-tools nix-bin cpio rsyslog strace curl socat e2fsprogs neovim
  # the twin's U-Boot (twin/build-uboot.sh) and its arm64 root (qemu-user through binfmt)
  gcc-aarch64-linux-gnu make bison flex bc libssl-dev python3-dev python3-setuptools python3-pyelftools swig libgnutls28-dev uuid-dev qemu-user-static binfmt-support arch-test)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp=node_modules/.atomicnix-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# The prebuilt CLI bundle (bin/atomicnix.js also rebuilds it on demand when sources change).
node bin/cli-bundle.js >/dev/null

# Podman 5.4's Quadlet generator for the generator test, cached outside the repository.
bash scripts/fetch-quadlet.sh >/dev/null
