// Dotted-quad IPv4 arithmetic shared by provisioning (validating config.toml) and the
// network apply (re-checking the persisted lan-settings.json). Addresses are unsigned
// 32-bit numbers.

const QUAD = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** The address as a number, or undefined when `text` is not a dotted quad (no leading zeros). */
export function parseIpv4(text: string): number | undefined {
  if (!QUAD.test(text)) return undefined;
  return text.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** `a.b.c.d/p` split into address and prefix, or undefined. */
export function parseCidr(text: string): { address: number; prefix: number } | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const address = parseIpv4(m[1]!);
  const prefix = Number(m[2]);
  if (address === undefined || prefix > 32) return undefined;
  return { address, prefix };
}

export function networkOf(address: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return address - (address % size);
}

export function broadcastOf(address: number, prefix: number): number {
  return networkOf(address, prefix) + 2 ** (32 - prefix) - 1;
}

export function netmaskOf(prefix: number): string {
  return formatIpv4(2 ** 32 - 2 ** (32 - prefix));
}

/** Ranges a LAN gateway address may not come from (this network, loopback, link-local, multicast and class E). */
const RESERVED: ReadonlyArray<{ base: string; prefix: number; what: string }> = [
  { base: "0.0.0.0", prefix: 8, what: "0.0.0.0/8 (this network)" },
  { base: "127.0.0.0", prefix: 8, what: "127.0.0.0/8 (loopback)" },
  { base: "169.254.0.0", prefix: 16, what: "169.254.0.0/16 (link-local)" },
  { base: "224.0.0.0", prefix: 3, what: "224.0.0.0/3 (multicast and reserved)" },
];

export function reservedRange(address: number): string | undefined {
  return RESERVED.find((r) => networkOf(address, r.prefix) === parseIpv4(r.base))?.what;
}
