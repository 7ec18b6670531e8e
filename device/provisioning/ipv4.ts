/** Dotted-quad IPv4 helpers for the /24 LAN rules; addresses are unsigned 32-bit numbers. */

const QUAD = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

export function parseIpv4(text: string): number | undefined {
  if (!QUAD.test(text)) return undefined;
  return text.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** Ranges a LAN gateway address may not come from (this network, loopback, link-local, multicast and class E). */
const RESERVED: ReadonlyArray<{ base: string; prefix: number; what: string }> = [
  { base: "0.0.0.0", prefix: 8, what: "0.0.0.0/8 (this network)" },
  { base: "127.0.0.0", prefix: 8, what: "127.0.0.0/8 (loopback)" },
  { base: "169.254.0.0", prefix: 16, what: "169.254.0.0/16 (link-local)" },
  { base: "224.0.0.0", prefix: 3, what: "224.0.0.0/3 (multicast and reserved)" },
];

export function reservedRange(addr: number): string | undefined {
  for (const r of RESERVED) {
    const size = 2 ** (32 - r.prefix);
    const base = parseIpv4(r.base)!;
    if (addr >= base && addr < base + size) return r.what;
  }
  return undefined;
}
