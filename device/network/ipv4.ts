// Dotted-quad IPv4 arithmetic for the LAN settings checks. The settings schema only
// checks each field's shape; whether the fields agree with each other (the range sits
// inside the /24, excludes the gateway, ...) is decided here.

/** The address as an unsigned 32-bit number, or null when `text` is not a dotted quad. */
export function parseIpv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  let value = 0;
  for (const part of m.slice(1)) {
    if (part.length > 1 && part.startsWith("0")) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** `a.b.c.d/p` split into address and prefix, or null. */
export function parseCidr(text: string): { address: number; prefix: number } | null {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m) return null;
  const address = parseIpv4(m[1]!);
  const prefix = Number(m[2]);
  if (address === null || prefix > 32) return null;
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
