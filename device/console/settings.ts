import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validators } from "../../generated/validators/index.js";
import { networkOf, parseCidr, parseIpv4 } from "../../lib/ipv4.js";

/** What the console needs from lan-settings.json: where to listen and which names it answers to. */
export interface ConsoleLan {
  gatewayIp: string;
  /** the /24 the gateway serves; peers outside it are refused */
  subnetCidr: string;
  aliases: string[];
  domain: string;
  /** false when the file was missing or invalid and the built-in default applies */
  fromFile: boolean;
}

const DEFAULT_LAN: ConsoleLan = { gatewayIp: "172.20.30.1", subnetCidr: "172.20.30.0/24", aliases: ["atomicnix"], domain: "local", fromFile: false };
export const CONSOLE_PORT = 8080;

/** Reads <configRoot>/lan-settings.json; a missing or invalid file gives the default (console.bind). */
export function readConsoleLan(configRoot: string): ConsoleLan {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(join(configRoot, "lan-settings.json"), "utf8"));
  } catch {
    return DEFAULT_LAN;
  }
  if (!validators["lan-settings"](doc)) return DEFAULT_LAN;
  const s = doc as { gateway_ip: string; subnet_cidr: string; gateway_aliases?: string[]; domain?: string };
  return { gatewayIp: s.gateway_ip, subnetCidr: s.subnet_cidr, aliases: s.gateway_aliases ?? [], domain: s.domain ?? "local", fromFile: true };
}

/** Whether `address` (as node reports a peer: maybe `::ffff:a.b.c.d`) lies in one of the IPv4 CIDRs. */
export function addressInCidrs(address: string | undefined, cidrs: readonly string[]): boolean {
  if (!address) return false;
  const ip = parseIpv4(address.replace(/^::ffff:/i, ""));
  if (ip === undefined) return false;
  return cidrs.some((text) => {
    const cidr = parseCidr(text);
    return cidr !== undefined && networkOf(ip, cidr.prefix) === networkOf(cidr.address, cidr.prefix);
  });
}
