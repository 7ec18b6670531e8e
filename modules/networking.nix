# NIC naming and the WAN/LAN interfaces: systemd-networkd with the repository's
# .link and .network files (device/etc/systemd/network/), installed unchanged.
{ lib, ... }:
{
  networking.useDHCP = false;
  networking.useNetworkd = true;
  systemd.network.enable = true;

  # Boot waits for any interface, at most 30 s (lan.wait-online.options).
  systemd.network.wait-online = {
    anyInterface = true;
    timeout = 30;
  };

  environment.etc = {
    "systemd/network/10-onboard-eth.link".source = ../device/etc/systemd/network/10-onboard-eth.link;
    "systemd/network/10-wan.network".source = ../device/etc/systemd/network/10-wan.network;
    "systemd/network/20-lan.network".source = ../device/etc/systemd/network/20-lan.network;
  };
}
