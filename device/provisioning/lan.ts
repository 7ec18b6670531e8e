import { formatIpv4, parseIpv4, reservedRange } from "../../lib/ipv4.js";
import { normaliseDnsName, normaliseHostnamePattern } from "./dns-names.js";
import type { IssueList } from "./issues.js";

/** The normalised LAN settings, shaped as schema `lan-settings`. */
export interface LanSettings {
  gateway_cidr: string;
  gateway_ip: string;
  subnet_cidr: string;
  netmask: "255.255.255.0";
  dhcp_start: string;
  dhcp_end: string;
  domain: string;
  hostname_pattern: string;
  gateway_aliases: string[];
}

const LAN_DEFAULTS = {
  gateway_cidr: "172.20.30.1/24",
  domain: "local",
  hostname_pattern: "atomicnix-{mac}",
  gateway_aliases: ["atomicnix"],
} as const;

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/**
 * Applies prov.lan-range and prov.dns-names to a schema-checked [lan] table. Fields
 * that already carry a schema error are skipped; the result is undefined when any
 * LAN rule failed.
 */
export function normaliseLan(lan: Record<string, unknown> | undefined, issues: IssueList): LanSettings | undefined {
  const t = lan ?? {};
  const before = issues.length;
  const skip = (p: string) => issues.hasAtOrBelow(`lan.${p}`);

  let gateway: number | undefined;
  const cidr = str(t.gateway_cidr) ?? LAN_DEFAULTS.gateway_cidr;
  if (!skip("gateway_cidr")) {
    const [addrText = "", prefix = ""] = cidr.split("/");
    const addr = parseIpv4(addrText);
    if (addr === undefined || !/^[0-9]+$/.test(prefix)) issues.add("lan.gateway_cidr", "expected an IPv4 address with prefix, e.g. 172.20.30.1/24");
    else if (prefix !== "24") issues.add("lan.gateway_cidr", `prefix /${prefix} is not supported; the LAN is one /24`);
    else if (reservedRange(addr)) issues.add("lan.gateway_cidr", `${addrText} lies in ${reservedRange(addr)}`);
    else if (addr % 256 === 0) issues.add("lan.gateway_cidr", `${addrText} is the network address of its /24, not a host address`);
    else if (addr % 256 === 255) issues.add("lan.gateway_cidr", `${addrText} is the broadcast address of its /24, not a host address`);
    else gateway = addr;
  }

  let start: number | undefined;
  let end: number | undefined;
  if (gateway !== undefined) {
    const net = gateway - (gateway % 256);
    const checkEnd = (field: "dhcp_start" | "dhcp_end", fallback: number): number | undefined => {
      if (skip(field)) return undefined;
      const given = str(t[field]);
      const value = given === undefined ? fallback : parseIpv4(given);
      if (value === undefined) return void issues.add(`lan.${field}`, "expected an IPv4 address");
      const text = formatIpv4(value);
      if (value < net || value > net + 255) return void issues.add(`lan.${field}`, `${text} is outside the LAN subnet ${formatIpv4(net)}/24`);
      if (value === net) return void issues.add(`lan.${field}`, `${text} is the network address of ${formatIpv4(net)}/24`);
      if (value === net + 255) return void issues.add(`lan.${field}`, `${text} is the broadcast address of ${formatIpv4(net)}/24`);
      return value;
    };
    start = checkEnd("dhcp_start", net + 10);
    end = checkEnd("dhcp_end", net + 254);
    if (start !== undefined && end !== undefined) {
      if (start > end) issues.add("lan.dhcp_end", `${formatIpv4(end)} is below dhcp_start ${formatIpv4(start)}`);
      else if (gateway >= start && gateway <= end) {
        issues.add("lan", `the DHCP range ${formatIpv4(start)}-${formatIpv4(end)} contains the gateway ${formatIpv4(gateway)}`);
      }
    }
  }

  let domain: string = LAN_DEFAULTS.domain;
  if (typeof t.domain === "string" && !skip("domain")) {
    try {
      domain = normaliseDnsName(t.domain);
    } catch (e) {
      issues.add("lan.domain", `${JSON.stringify(t.domain)} ${(e as Error).message}`);
    }
  }
  let pattern: string = LAN_DEFAULTS.hostname_pattern;
  if (typeof t.hostname_pattern === "string" && !skip("hostname_pattern")) {
    try {
      pattern = normaliseHostnamePattern(t.hostname_pattern);
    } catch (e) {
      issues.add("lan.hostname_pattern", `${JSON.stringify(t.hostname_pattern)} ${(e as Error).message}`);
    }
  }
  const aliases: string[] = [];
  const given = Array.isArray(t.gateway_aliases) ? (t.gateway_aliases as unknown[]) : [...LAN_DEFAULTS.gateway_aliases];
  given.forEach((a, i) => {
    if (typeof a !== "string" || issues.hasAtOrBelow(`lan.gateway_aliases[${i}]`)) return;
    try {
      const n = normaliseDnsName(a);
      if (!aliases.includes(n)) aliases.push(n);
    } catch (e) {
      issues.add(`lan.gateway_aliases[${i}]`, `${JSON.stringify(a)} ${(e as Error).message}`);
    }
  });

  if (issues.length > before || gateway === undefined || start === undefined || end === undefined) return undefined;
  const net = gateway - (gateway % 256);
  return {
    gateway_cidr: `${formatIpv4(gateway)}/24`,
    gateway_ip: formatIpv4(gateway),
    subnet_cidr: `${formatIpv4(net)}/24`,
    netmask: "255.255.255.0",
    dhcp_start: formatIpv4(start),
    dhcp_end: formatIpv4(end),
    domain,
    hostname_pattern: pattern,
    gateway_aliases: aliases,
  };
}
