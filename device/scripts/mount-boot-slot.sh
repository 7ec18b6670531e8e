#!/bin/sh
# Mounts the booted slot's boot partition read-only at /boot. Which one that is
# depends on the slot U-Boot chose, so no fstab entry can name it: the boot
# partition is the one just before the slot's rootfs (atomicnix.lowerdev) on the
# same disk (layout: boot-a 1 / rootfs-a 2, boot-b 3 / rootfs-b 4). Deriving it from
# the system disk, not from a partition label, keeps a USB stick that carries a
# `boot-a` label from being mounted as /boot.
set -eu
lowerdev=$(sed -n 's/.*atomicnix\.lowerdev=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$lowerdev" ] || { echo "mount-boot-slot: no atomicnix.lowerdev= on the kernel command line; /boot not mounted"; exit 0; }
mountpoint -q /boot && { echo "mount-boot-slot: /boot already mounted"; exit 0; }

part=$(basename "$(readlink -f "$lowerdev")")
[ -r "/sys/class/block/$part/partition" ] || { echo "mount-boot-slot: $lowerdev is not a partition" >&2; exit 1; }
disk=$(basename "$(readlink -f "/sys/class/block/$part/..")")
want=$(( $(cat "/sys/class/block/$part/partition") - 1 ))
bootdev=""
for p in /sys/class/block/"$disk"/"$disk"*; do
  [ "$(cat "$p/partition" 2>/dev/null)" = "$want" ] && bootdev=/dev/$(basename "$p")
done
[ -n "$bootdev" ] && [ -b "$bootdev" ] || { echo "mount-boot-slot: no partition $want on /dev/$disk" >&2; exit 1; }
mkdir -p /boot
mount -t vfat -o ro,nodev,nosuid,noexec,umask=0022 "$bootdev" /boot
echo "mount-boot-slot: $bootdev (partition $want of /dev/$disk, the boot partition of $lowerdev) on /boot, read-only"
