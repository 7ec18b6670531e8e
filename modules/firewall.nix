# nftables: the baseline ruleset is the repository's file, loaded unchanged; the
# provisioned WAN ports and SSH-on-WAN rules are added by the runtime units.
{ lib, ... }:
let
  units = import ../nix/unit-files.nix { inherit lib; };
in
{
  networking.firewall.enable = false;
  networking.nftables = {
    enable = true;
    rulesetFile = ../device/etc/nftables/atomicnix.nft;
    # The file replaces only `table inet filter` in one transaction; a flush of the
    # whole ruleset would drop the provisioned and SSH-on-WAN rules' neighbours too.
    flushRuleset = false;
    # The twin's tests load this file with the real nft; the build sandbox has
    # no netlink to re-check it.
    checkRuleset = false;
  };

  systemd.units = units.install [
    ../device/units/provisioned-firewall-inbound.service
    ../device/units/ssh-wan-toggle.service
    ../device/units/ssh-wan-reload.service
  ];
}
