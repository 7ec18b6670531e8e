#!/usr/bin/env bash
# Installs the AtomicNix runtime into a Debian trixie root, at the paths the NixOS
# modules use (twin/README.md, "Where things go"):
#   dist/device/<area>.mjs   -> /usr/lib/atomicnix/device/<area>.mjs   (nix/runtime.nix)
#   device/units/*           -> /etc/systemd/system/, enabled from their [Install]
#   device/etc/...           -> /etc/... per the table in etc_dest() below
#   twin/rootfs/...          -> /... (the twin's stand-ins for module-generated files)
# and applies the account, SSH and service policy of modules/base.nix.
# usage: install-runtime.sh REPO ROOT CA_CERT
set -euo pipefail
[ "$#" -eq 3 ] || { echo "usage: install-runtime.sh REPO ROOT CA_CERT" >&2; exit 2; }
repo=$1 root=$2 ca=$3
# The twin's release string: NixOS's series.<stamp>.<revision> shape, fixed so the
# root's cache key does not change with the clock.
TWIN_VERSION=25.11.0.twin
die() { echo "install-runtime: $*" >&2; exit 1; }
[ -x "$root/usr/bin/systemctl" ] || die "'$root' is not a systemd root"

# ---- runtime bundles
install -d -m 0755 "$root/usr/lib/atomicnix/device"
for f in "$repo"/dist/device/*.mjs; do
  install -m 0444 "$f" "$root/usr/lib/atomicnix/device/$(basename "$f")"
done

# ---- shared scripts (nix/runtime.nix installs them at the same place)
install -d -m 0755 "$root/usr/lib/atomicnix/scripts"
for f in "$repo"/device/scripts/*.sh; do
  install -m 0555 "$f" "$root/usr/lib/atomicnix/scripts/$(basename "$f")"
done

# The running version os-upgrade compares offers against (base.nix writes
# system.nixos.version there); twin/build.sh signs its bundle with the same string.
install -d -m 0755 "$root/etc/atomicnix"
echo "$TWIN_VERSION" > "$root/etc/atomicnix/version"

# ---- device/etc: where each NixOS module puts the file (default: same path under /etc)
etc_dest() {
  case "$1" in
    dnsmasq/atomicnix.conf) echo dnsmasq.d/atomicnix.conf ;;     # lan-gateway.nix environment.etc
    chrony/atomicnix.conf) echo chrony/conf.d/atomicnix.conf ;;  # lan-gateway.nix extraConfig (chrony.conf below includes it)
    nftables/atomicnix.nft) echo nftables.conf ;;               # firewall.nix rulesetFile; Debian's nftables.service loads /etc/nftables.conf
    rsyslog/atomicnix.conf) echo rsyslog.d/atomicnix.conf ;;     # logging.nix extraConfig
    fw_env.config) echo "" ;;                                   # Rock64's SPI env (hardware-rock64.nix)
    fw_env.virtio.config) echo fw_env.config ;;                 # virtual targets' env on the virtio disk (hardware-qemu.nix)
    *) echo "$1" ;;
  esac
}
if [ -d "$repo/device/etc" ]; then
  while IFS= read -r -d '' f; do
    rel=${f#"$repo/device/etc/"}
    dest=$(etc_dest "$rel")
    [ -n "$dest" ] || continue
    install -D -m 0644 "$f" "$root/etc/$dest"
  done < <(find "$repo/device/etc" -type f -print0 | LC_ALL=C sort -z)
fi

# TEST ASSET (twin only): an offline application image for provisioning tests
# (Image = "oci-archive:/usr/lib/atomicnix/twin/probe-image.tar"); no registry is reachable.
install -d -m 0755 "$root/usr/lib/atomicnix/twin"
bash "$repo/twin/make-probe-image.sh" "$root/usr/bin/busybox" "$root/usr/lib/atomicnix/twin/probe-image.tar" "$(chroot "$root" dpkg --print-architecture)"

# ---- the twin's own files (system.conf, fstab, drop-ins, test shell)
cp -a --no-preserve=ownership "$repo/twin/rootfs/." "$root/"

# RAUC keyring: only the CA (rauc.nix keyringCert)
install -D -m 0644 "$ca" "$root/etc/rauc/ca.cert.pem"

# ---- unit files: NixOS links them into /etc/systemd/system and enables them from
# [Install] (nix/unit-files.nix); systemctl --root does the same here.
units=()
if [ -d "$repo/device/units" ]; then
  for f in "$repo"/device/units/*; do
    [ -f "$f" ] || continue
    install -m 0644 "$f" "$root/etc/systemd/system/$(basename "$f")"
    grep -q '^\[Install\]' "$f" && units+=("$(basename "$f")")
  done
fi
sc() { SYSTEMD_OFFLINE=1 systemctl --root="$root" --quiet "$@"; }
[ "${#units[@]}" -eq 0 ] || sc enable "${units[@]}"
# Services the NixOS modules enable; ssh as Debian names it.
sc enable systemd-networkd.service nftables.service dnsmasq.service chrony.service rsyslog.service ssh.service rauc.service twin-test-shell.service
# chrony-wait holds multi-user for minutes without an upstream server; NixOS has no
# such unit. Debian units NixOS does not run are masked too; hvc0 belongs to the
# test-driver shell (twin-test-shell.service), not a getty.
sc mask chrony-wait.service serial-getty@hvc0.service apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer
sc set-default multi-user.target
# rauc.nix: systemd.services.rauc.wantedBy = [ "multi-user.target" ] (Debian's unit
# has no [Install]; it is only D-Bus activated there).
ln -sf /usr/lib/systemd/system/rauc.service "$root/etc/systemd/system/multi-user.target.wants/rauc.service"

# ---- accounts (modules/base.nix, first-boot.nix): no passwords anywhere
chroot "$root" usermod -p '!' root
chroot "$root" id admin >/dev/null 2>&1 || chroot "$root" useradd -m -s /bin/bash -p '!' admin
chroot "$root" id appsvc >/dev/null 2>&1 || chroot "$root" useradd -m -s /bin/bash -p '!' appsvc
chroot "$root" getent group wheel >/dev/null || chroot "$root" groupadd -r wheel
chroot "$root" usermod -aG wheel admin
install -d "$root/var/lib/systemd/linger"
: > "$root/var/lib/systemd/linger/appsvc"

# Host keys are generated per device on /data (base.nix hostKeys); none in the image.
rm -f "$root"/etc/ssh/ssh_host_*
# Each boot gets a fresh machine ID on the read-only root (systemd's tmpfs fallback).
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
echo gateway > "$root/etc/hostname"
printf 'AtomicNix twin %s (\\l)\n\n' "$(cat "$repo/package.json" | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p')" > "$root/etc/issue"

# The root is complete: nothing on the device has to rebuild caches for it. Without these
# stamps ConditionNeedsUpdate= starts ldconfig, the journal catalog rebuild and
# systemd-update-done on every boot (the tmpfs overlay never keeps their stamps), ~6 s
# of each TCG boot. The stamp holds /usr's time in whole seconds, as squashfs stores it.
usr_mtime=$(stat -c %Y "$root/usr")
for d in etc var; do
  printf 'TIMESTAMP_NSEC=%s000000000\n' "$usr_mtime" > "$root/$d/.updated"
  touch -d "@$usr_mtime" "$root/$d/.updated"
done
