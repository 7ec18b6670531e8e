import type { LanSettings } from "./lan-settings.js";
import type { LanOutputRole } from "./lan-outputs.js";

/** eth1's MAC as the 12 lower-case hex digits `{mac}` stands for. */
function macDigits(mac: string): string {
  const digits = mac.trim().toLowerCase().replace(/[:-]/g, "");
  if (!/^[0-9a-f]{12}$/.test(digits)) throw new Error(`not a MAC address: ${JSON.stringify(mac.trim())}`);
  return digits;
}

const HEADER = "# Written by lan-gateway-apply from /data/config/lan-settings.json (or the fallback). Do not edit: rewritten on every apply.\n";

/**
 * The content of each runtime file for the given settings. `hostsPath` is where the
 * hosts file lives, since the dnsmasq snippet points at it.
 */
export function renderLanOutputs(s: LanSettings, eth1Mac: string, hostsPath: string): Record<LanOutputRole, string> {
  const hostname = s.hostname_pattern.replaceAll("{mac}", macDigits(eth1Mac));
  const names = [hostname, ...s.gateway_aliases.filter((a) => a !== hostname)];
  return {
    networkd: `${HEADER}[Network]\nAddress=${s.gateway_cidr}\n`,
    dnsmasq:
      HEADER +
      [
        `dhcp-range=${s.dhcp_start},${s.dhcp_end},${s.netmask},24h`,
        // router, DNS server and NTP server are all the gateway itself
        `dhcp-option=3,${s.gateway_ip}`,
        `dhcp-option=6,${s.gateway_ip}`,
        `dhcp-option=42,${s.gateway_ip}`,
        `domain=${s.domain}`,
        // answer for the local domain from local data only, never upstream
        `local=/${s.domain}/`,
        "expand-hosts",
        `addn-hosts=${hostsPath}`,
      ].join("\n") +
      "\n",
    hosts: `${HEADER}${s.gateway_ip} ${names.join(" ")}\n`,
    chrony: `${HEADER}allow ${s.subnet_cidr}\n`,
  };
}
