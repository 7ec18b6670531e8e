import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validators } from "../../generated/validators/index.js";
import type { CommandRunner } from "../update/runner.js";
import { ipv4Addresses } from "./interfaces.js";
import type { UnitProbe } from "./unit-probe.js";

/** The gateway address eth1 must carry when lan-settings.json is missing or invalid. */
const FALLBACK_GATEWAY_IP = "172.20.30.1";
const GATEWAY_UNITS = ["dnsmasq.service", "chronyd.service"] as const;

export interface CheckContext {
  configDir: string;
  runner: CommandRunner;
  probe: UnitProbe;
  log: (line: string) => void;
}

export interface RoundResult {
  ok: boolean;
  failures: string[];
  /** unit -> run identity, compared across rounds to catch restarts */
  identities: Map<string, string | undefined>;
}

/** Which gateway IP eth1 must hold, and why (logged once per run). */
export function expectedGatewayIp(configDir: string): { ip: string; note: string } {
  const file = join(configDir, "lan-settings.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { ip: FALLBACK_GATEWAY_IP, note: `${file} missing: expecting the fallback ${FALLBACK_GATEWAY_IP} on eth1` };
  }
  try {
    const doc = JSON.parse(text);
    if (validators["lan-settings"](doc) && typeof (doc as { gateway_ip?: unknown }).gateway_ip === "string") {
      const ip = (doc as { gateway_ip: string }).gateway_ip;
      return { ip, note: `expecting gateway_ip ${ip} from ${file} on eth1` };
    }
    const err = validators["lan-settings"].errors?.[0];
    return { ip: FALLBACK_GATEWAY_IP, note: `${file} invalid at ${err?.instancePath || "(root)"} (${err?.message ?? "no gateway_ip"}): expecting the fallback ${FALLBACK_GATEWAY_IP} on eth1` };
  } catch (e) {
    return { ip: FALLBACK_GATEWAY_IP, note: `${file} is not JSON (${(e as Error).message}): expecting the fallback ${FALLBACK_GATEWAY_IP} on eth1` };
  }
}

/** Units named in health-required.json; a malformed file is a failure, a missing one means none. */
export function requiredUnits(configDir: string): { units: string[] } | { problem: string } {
  const file = join(configDir, "health-required.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { units: [] };
    return { problem: `${file}: unreadable (${(e as Error).message})` };
  }
  try {
    const doc = JSON.parse(text);
    if (validators["health-required"](doc)) return { units: doc as string[] };
    const err = validators["health-required"].errors?.[0];
    return { problem: `${file}: malformed at ${err?.instancePath || "(root)"}: ${err?.message}` };
  } catch (e) {
    return { problem: `${file}: malformed, not JSON (${(e as Error).message})` };
  }
}

/** One round of `verify.checks`: every check runs, every failure is reported. */
export async function runRound(ctx: CheckContext, gatewayIp: string): Promise<RoundResult> {
  const failures: string[] = [];
  const identities = new Map<string, string | undefined>();
  const required = requiredUnits(ctx.configDir);
  if ("problem" in required) failures.push(required.problem);
  const units = [...GATEWAY_UNITS, ...("units" in required ? required.units.filter((u) => !(GATEWAY_UNITS as readonly string[]).includes(u)) : [])];
  for (const unit of units) {
    const st = await ctx.probe.state(unit);
    identities.set(unit, st.identity);
    if (!st.active) failures.push(`${unit} is not active (${st.state})`);
  }
  const eth0 = await ipv4Addresses(ctx.runner, "eth0");
  if (!eth0.ok) failures.push(`eth0 has no IPv4 address (${eth0.problem})`);
  else if (eth0.addresses.length === 0) failures.push("eth0 has no IPv4 address");
  const eth1 = await ipv4Addresses(ctx.runner, "eth1");
  if (!eth1.ok) failures.push(`eth1 does not hold the gateway address ${gatewayIp} (${eth1.problem})`);
  else if (!eth1.addresses.includes(gatewayIp)) failures.push(`eth1 does not hold the gateway address ${gatewayIp} (has ${eth1.addresses.join(", ") || "no IPv4 address"})`);
  return { ok: failures.length === 0, failures, identities };
}
