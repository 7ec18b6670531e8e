# LAN services: dnsmasq (DHCP and gateway-local DNS) and chrony (NTP) with the
# repository's base configs, the no-forwarding sysctls, and the unit that renders
# the provisioned LAN settings into /run (lan.apply).
{ lib, ... }:
let
  units = import ../nix/unit-files.nix { inherit lib; };
in
{
  services.dnsmasq = {
    enable = true;
    resolveLocalQueries = false;
    # The NixOS module adds only this include; every directive lives in the file.
    settings.conf-file = "/etc/dnsmasq.d/atomicnix.conf";
  };
  environment.etc."dnsmasq.d/atomicnix.conf".source = ../device/etc/dnsmasq/atomicnix.conf;

  services.chrony = {
    enable = true;
    servers = [ ];
    # The shared file keeps the RTC in step with `rtcsync`; chrony.nix asserts that
    # `rtcsync` is not combined with its default rtcfile/rtcautotrim trimming.
    enableRTCTrimming = false;
    extraConfig = builtins.readFile ../device/etc/chrony/atomicnix.conf;
  };

  # ip_forward=0 and friends (lan.no-forwarding): the same file the twin loads.
  environment.etc."sysctl.d/60-atomicnix-no-forwarding.conf".source = ../device/etc/sysctl.d/60-atomicnix-no-forwarding.conf;
  boot.kernel.sysctl = {
    "net.ipv4.ip_forward" = lib.mkForce 0;
    "net.ipv6.conf.all.forwarding" = lib.mkForce 0;
  };

  systemd.units = units.install [ ../device/units/lan-gateway-apply.service ];
}
