import { readFileSync } from "node:fs";
import configSchema from "../../generated/schemas/config-toml.schema.json" with { type: "json" };
import { validators } from "../../generated/validators/index.js";
import { broadcastOf, formatIpv4, netmaskOf, networkOf, parseCidr, parseIpv4 } from "../../lib/ipv4.js";
import { describeJsonError, describeSchemaErrors } from "./issues.js";

/** `/data/config/lan-settings.json` (schema `lan-settings`). */
export interface LanSettings {
  gateway_cidr: string;
  gateway_ip: string;
  subnet_cidr: string;
  netmask: string;
  dhcp_start: string;
  dhcp_end: string;
  domain: string;
  hostname_pattern: string;
  gateway_aliases: string[];
}

export const LAN_SETTINGS_FILE = "/data/config/lan-settings.json";

/**
 * The fallback LAN contract, built from the `[lan]` defaults of schema `config-toml`
 * (so the spec stays the one place that names them): gateway .1/24, DHCP .10-.254.
 */
function fallbackLanSettings(): LanSettings {
  const lan = configSchema.properties.lan.properties;
  const cidr = parseCidr(lan.gateway_cidr.default)!;
  const network = networkOf(cidr.address, cidr.prefix);
  return {
    gateway_cidr: lan.gateway_cidr.default,
    gateway_ip: formatIpv4(cidr.address),
    subnet_cidr: `${formatIpv4(network)}/${cidr.prefix}`,
    netmask: netmaskOf(cidr.prefix),
    dhcp_start: formatIpv4(network + 10),
    dhcp_end: formatIpv4(network + 254),
    domain: lan.domain.default,
    hostname_pattern: lan.hostname_pattern.default,
    gateway_aliases: [...lan.gateway_aliases.default],
  };
}

/**
 * Cross-field rules the schema cannot state: the fields must describe one /24 whose
 * gateway, network and broadcast addresses lie outside the DHCP range.
 */
function crossFieldProblems(s: LanSettings): string[] {
  const problems: string[] = [];
  const cidr = parseCidr(s.gateway_cidr);
  const gateway = parseIpv4(s.gateway_ip);
  const start = parseIpv4(s.dhcp_start);
  const end = parseIpv4(s.dhcp_end);
  if (!cidr || gateway === undefined || start === undefined || end === undefined) return ["gateway_cidr: not an IPv4 address with prefix"];
  const network = networkOf(cidr.address, cidr.prefix);
  const broadcast = broadcastOf(cidr.address, cidr.prefix);
  if (cidr.address !== gateway) problems.push(`gateway_ip: ${s.gateway_ip} is not the address of gateway_cidr ${s.gateway_cidr}`);
  if (cidr.address === network || cidr.address === broadcast) problems.push(`gateway_cidr: ${s.gateway_cidr} is the network or broadcast address`);
  if (s.subnet_cidr !== `${formatIpv4(network)}/${cidr.prefix}`) problems.push(`subnet_cidr: ${s.subnet_cidr} is not the subnet of gateway_cidr ${s.gateway_cidr}`);
  if (s.netmask !== netmaskOf(cidr.prefix)) problems.push(`netmask: ${s.netmask} does not match prefix /${cidr.prefix}`);
  for (const [field, value] of [["dhcp_start", start], ["dhcp_end", end]] as const) {
    if (value <= network || value >= broadcast) problems.push(`${field}: ${s[field]} is not a host address of ${s.subnet_cidr}`);
  }
  if (start > end) problems.push(`dhcp_start: ${s.dhcp_start} is after dhcp_end ${s.dhcp_end}`);
  const host = s.hostname_pattern.replaceAll("{mac}", "000000000000");
  if (!DNS_NAME.test(host) || host.length > 253) problems.push(`hostname_pattern: ${s.hostname_pattern} does not give a valid DNS name once {mac} is replaced`);
  if (start <= gateway && gateway <= end) problems.push(`dhcp_start: the range ${s.dhcp_start}..${s.dhcp_end} contains the gateway ${s.gateway_ip}`);
  return problems;
}

const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export type LoadedLanSettings =
  | { settings: LanSettings; fallback: false }
  | { settings: LanSettings; fallback: true; reason: string };

/**
 * Reads the provisioned settings; a missing, unparsable or invalid file yields the
 * fallback together with the reason (naming the file and the fields), never an error:
 * the LAN must come up even when provisioning left nothing usable.
 */
export function loadLanSettings(file = LAN_SETTINGS_FILE): LoadedLanSettings {
  const fallback = (reason: string): LoadedLanSettings => ({ settings: fallbackLanSettings(), fallback: true, reason });
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fallback(code === "ENOENT" ? `${file} does not exist` : `${file}: cannot read: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return fallback(describeJsonError(file, text, e as Error));
  }
  const validate = validators["lan-settings"];
  if (!validate(value)) return fallback(`${file}: ${describeSchemaErrors(validate.errors).join("; ")}`);
  const settings = value as LanSettings;
  const problems = crossFieldProblems(settings);
  if (problems.length) return fallback(`${file}: ${problems.join("; ")}`);
  return { settings, fallback: false };
}
