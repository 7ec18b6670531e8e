# OpenVPN recovery tunnel: installed, never started automatically, and only
# startable when a client config has been provisioned on /data.
{ pkgs, ... }:
{
  environment.systemPackages = [ pkgs.openvpn ];
  systemd.services.openvpn-recovery = {
    description = "AtomicNix OpenVPN recovery tunnel";
    after = [ "network-online.target" ];
    wants = [ "network-online.target" ];
    unitConfig.ConditionPathExists = "/data/config/openvpn/client.conf";
    serviceConfig = {
      ExecStart = "${pkgs.openvpn}/bin/openvpn --config /data/config/openvpn/client.conf";
      Restart = "on-failure";
    };
    # No wantedBy: auto-start is off.
  };
}
