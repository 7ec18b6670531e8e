#!/bin/sh
# Records the boot-count state of this boot in the journal: which slot booted, how
# many tries it has left, and whether U-Boot fell back from the preferred slot.
# Runs once per boot; never changes the environment (U-Boot and RAUC own it).
set -u

slot=$(sed -n 's/.*rauc\.slot=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$slot" ] || { echo "watchdog-boot-count: no rauc.slot= on the kernel command line"; exit 0; }

env_value() { fw_printenv -n "$1" 2>/dev/null; }
order=$(env_value BOOT_ORDER)
left=$(env_value "BOOT_${slot}_LEFT")
echo "slot=${slot} left=${left:-unknown} order=\"${order:-unknown}\""

preferred=${order%% *}
if [ -n "$preferred" ] && [ "$preferred" != "$slot" ]; then
  echo "rollback from=${preferred} to=${slot}"
fi
