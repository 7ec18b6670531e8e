# Physical break-glass on Rock64 (auth.serial-recovery): `fw_setenv _RUT_OH_ 1` gives
# the next boot, and only that one, a root autologin on UART2 (ttyS2, 1.5 Mbaud).
# The flag is cleared before the getty is changed, so a recovery boot that crashes
# does not stay armed. No getty has --autologin in its unit: the drop-in below is
# written to /run (gone at the next boot) only when the flag was set, and only for
# serial-getty@ttyS2.service; network SSH is untouched.
{ pkgs, ... }:
let
  getty = "serial-getty@ttyS2.service";
  dropInDir = "/run/systemd/system/${getty}.d";
in
{
  systemd.services.serial-recovery = {
    description = "AtomicNix: one-shot serial root recovery on ttyS2 (_RUT_OH_=1)";
    # The getty generator pulls serial-getty@ttyS2 (console=ttyS2) into getty.target.
    wantedBy = [ "getty.target" ];
    before = [
      getty
      "getty.target"
    ];
    after = [ "local-fs.target" ];
    unitConfig.DefaultDependencies = false;
    serviceConfig = {
      Type = "oneshot";
      RemainAfterExit = true;
    };
    path = [
      pkgs.libubootenv
      pkgs.coreutils
      pkgs.systemd
    ];
    script = ''
      if [ "$(fw_printenv -n _RUT_OH_ 2>/dev/null)" != 1 ]; then
        exit 0
      fi
      # One-shot: clear the flag first; without a cleared flag, no autologin.
      fw_setenv _RUT_OH_
      if [ -n "$(fw_printenv -n _RUT_OH_ 2>/dev/null)" ]; then
        echo "serial-recovery: could not clear _RUT_OH_; no autologin" >&2
        exit 1
      fi
      mkdir -p ${dropInDir}
      printf '%s\n' '[Service]' 'ExecStart=' \
        'ExecStart=-${pkgs.util-linux}/bin/agetty --autologin root --keep-baud 1500000 %I $TERM' \
        > ${dropInDir}/50-recovery-autologin.conf
      echo "serial-recovery: _RUT_OH_ was set; root autologin on ttyS2 for this boot" >&2
      systemctl daemon-reload
    '';
  };
}
