import { readFileSync } from "node:fs";

/** The eth0 MAC as the seed's compact device ID: 12 lower-case hex digits, no separators. */
export function deviceIdFromMac(mac: string): string {
  const hex = mac.trim().toLowerCase().replace(/[:-]/g, "");
  if (!/^[0-9a-f]{12}$/.test(hex)) throw new Error(`"${mac.trim()}" is not a MAC address (expected six hex pairs)`);
  return hex;
}

export function readDeviceId(addressFile = "/sys/class/net/eth0/address"): string {
  let text: string;
  try {
    text = readFileSync(addressFile, "utf8");
  } catch (e) {
    throw new Error(`${addressFile}: cannot read the eth0 MAC (${(e as Error).message})`);
  }
  try {
    return deviceIdFromMac(text);
  } catch (e) {
    throw new Error(`${addressFile}: ${(e as Error).message}`);
  }
}
