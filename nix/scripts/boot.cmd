# AtomicNix U-Boot boot script (U-Boot 2026.x, hush shell).
#
# The RAUC bootmeth of U-Boot (CONFIG_BOOTMETH_RAUC, partitions "1,2 3,4") runs first:
# it picks the first slot in BOOT_ORDER whose BOOT_<slot>_LEFT is above zero,
# decrements and saves that counter, sets devtype, devnum, distro_bootpart,
# distro_rootpart and raucargs ("rauc.slot=<A|B>"), then runs this script from
# the selected boot partition. This script only turns that choice into a kernel
# boot. Compiled to boot.scr with: mkimage -C none -A arm64 -T script
#
# Control flow uses flags instead of `exit`: hush does not reliably stop a
# sourced script on `exit` inside `||` or `if`, and a failed step must never
# fall through to booti. No apostrophes anywhere in strings: the hush parser of
# U-Boot 2023.01 reports a syntax error for one even inside double quotes.
echo "AtomicNix build @buildId@"

# The kernel parameters of the system this boot partition carries: init= (the
# NixOS systemd initrd stops with "No init= parameter" without it) and the
# configuration's boot.kernelParams, substituted by compile-boot-script.sh
# --kernel-params from nix/boot-script.nix. Only the slot-dependent words are
# added below.
setenv atomicnix_kernel_params "@kernelParams@"

# USB mass-storage recovery: the reset button (Linux gpiochip3 line 4, U-Boot
# GPIO 100, active low) held from power-on for 10 seconds exposes the whole eMMC
# on the OTG port instead of booting Linux. `gpio input` returns the pin level as
# its status, so it succeeds while the button pulls the line low.
setenv atomicnix_ums 0
if gpio input 100; then
  echo "Reset button held: keep holding for 10 s for USB mass-storage recovery"
  setenv atomicnix_ums 1
  for atomicnix_t in 1 2 3 4 5 6 7 8 9 10; do
    if test "${atomicnix_ums}" = "1"; then
      sleep 1
      gpio input 100 || setenv atomicnix_ums 0
    fi
  done
fi
if test "${atomicnix_ums}" = "1"; then
  echo "Exposing the eMMC over USB (ums 0 mmc 1); reset the board to leave"
  ums 0 mmc 1
  reset
fi

# Device the bootmeth found us on; the eMMC is mmc 1 on Rock64 (mmcblk1 in Linux,
# both numbered by the same device tree aliases).
if test -z "${devtype}"; then setenv devtype mmc; fi
if test -z "${devnum}"; then setenv devnum 1; fi

# On the RK3328 the default ramdisk address lets a large kernel Image overlap the
# initrd (RAM starts at 0 there; other boards keep their own default).
if test "${soc}" = "rk3328"; then setenv ramdisk_addr_r 0x08000000; fi
if test -z "${fdtfile}"; then setenv fdtfile rockchip/rk3328-rock64.dtb; fi

# Slot selected by the RAUC bootmeth. Without raucargs (plain distro boot, no
# bootmeth), derive the bootname from the partition pair so RAUC still sees
# which slot booted.
setenv atomicnix_ok 1
if test -z "${raucargs}"; then
  if test "${distro_bootpart}" = "1"; then
    setenv raucargs "rauc.slot=A"
    setenv distro_rootpart 2
  elif test "${distro_bootpart}" = "3"; then
    setenv raucargs "rauc.slot=B"
    setenv distro_rootpart 4
  else
    echo "AtomicNix: no RAUC slot selected (raucargs and distro_bootpart unset)"
    setenv atomicnix_ok 0
  fi
fi

# Board facts the environment may override; the defaults are the Rock64 values:
# atomicnix_rootdisk (Linux name of the boot disk, the root partition number is
# appended; default the eMMC/SD name U-Boot booted from), atomicnix_console (a
# console= added after the configuration's own, which names the Rock64 UART) and
# atomicnix_extra_args (appended to the command line). The QEMU twin sets them in
# its environment; the Rock64 sets none.
if test -z "${atomicnix_rootdisk}"; then setenv atomicnix_rootdisk "/dev/mmcblk${devnum}p"; fi
setenv atomicnix_console_arg
if test -n "${atomicnix_console}"; then setenv atomicnix_console_arg "console=${atomicnix_console}"; fi

if test "${atomicnix_ok}" = "1"; then
  setenv atomicnix_lowerdev "${atomicnix_rootdisk}${distro_rootpart}"
  setenv atomicnix_part "${devnum}:${distro_bootpart}"
  echo "AtomicNix: ${raucargs} boot=${devtype} ${atomicnix_part} lowerdev=${atomicnix_lowerdev}"
  setenv bootargs "${atomicnix_kernel_params} root=fstab ${raucargs} atomicnix.lowerdev=${atomicnix_lowerdev} rootwait ${atomicnix_console_arg} ${atomicnix_extra_args}"
  echo "AtomicNix: bootargs ${bootargs}"
  load ${devtype} ${atomicnix_part} ${kernel_addr_r} Image || setenv atomicnix_ok 0
fi
if test "${atomicnix_ok}" = "1"; then
  load ${devtype} ${atomicnix_part} ${ramdisk_addr_r} initrd || setenv atomicnix_ok 0
  setenv atomicnix_initrd_size ${filesize}
fi
# Without fdt_addr_r or the DTB file, boot with the device tree U-Boot runs on.
if test "${atomicnix_ok}" = "1"; then
  setenv atomicnix_fdt ${fdtcontroladdr}
  if test -n "${fdt_addr_r}"; then
    if load ${devtype} ${atomicnix_part} ${fdt_addr_r} ${fdtfile}; then
      setenv atomicnix_fdt ${fdt_addr_r}
    else
      echo "AtomicNix: ${fdtfile} not loaded, using the U-Boot device tree"
    fi
  fi
  echo "AtomicNix: booting ${raucargs}"
  booti ${kernel_addr_r} ${ramdisk_addr_r}:${atomicnix_initrd_size} ${atomicnix_fdt}
fi
# Only reached when a step failed or booti returned: the bootflow goes on and
# this boot counts as a failed attempt (the bootmeth already decremented it).
echo "AtomicNix: boot of ${raucargs} failed"
