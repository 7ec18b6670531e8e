# fw_printenv/fw_setenv (libubootenv) with the Rock64 SPI environment description
# installed as etc/fw_env.config (the same file the system installs).
{
  runCommand,
  libubootenv,
}:
runCommand "atomicnix-uboot-env-tools" { } ''
  mkdir -p $out/bin $out/etc
  ln -s ${libubootenv}/bin/fw_printenv $out/bin/fw_printenv
  ln -s ${libubootenv}/bin/fw_setenv $out/bin/fw_setenv
  cp ${../device/etc/fw_env.config} $out/etc/fw_env.config
''
