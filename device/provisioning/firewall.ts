import type { IssueList } from "./issues.js";

/** Persisted inbound policy, shaped as schema `firewall-inbound` (always the scoped form). */
interface PortSet {
  tcp?: number[];
  udp?: number[];
}
export interface FirewallInbound {
  wan?: PortSet;
  lan?: PortSet;
}

const PROTOCOLS = ["tcp", "udp"] as const;

function dedupe(list: unknown): number[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return [...new Set(list.filter((p): p is number => typeof p === "number"))];
}

function portSet(t: Record<string, unknown> | undefined): PortSet | undefined {
  if (!t) return undefined;
  const out: PortSet = {};
  for (const proto of PROTOCOLS) {
    const ports = dedupe(t[proto]);
    if (ports?.length) out[proto] = ports;
  }
  return out.tcp || out.udp ? out : undefined;
}

/**
 * Normalises a schema-checked firewall.inbound table (prov.firewall-ports): the flat
 * form becomes `wan`, duplicates go keeping first occurrence, and at least one port
 * must remain.
 */
export function normaliseInbound(inbound: Record<string, unknown> | undefined, issues: IssueList): FirewallInbound | undefined {
  if (!inbound || issues.has("firewall.inbound") || issues.has("firewall")) return undefined;
  const isTable = (v: unknown) => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const flat = "tcp" in inbound || "udp" in inbound;
  const result: FirewallInbound = {};
  const wan = flat ? portSet(inbound) : portSet(isTable(inbound.wan));
  const lan = flat ? undefined : portSet(isTable(inbound.lan));
  if (wan) result.wan = wan;
  if (lan) result.lan = lan;
  if (!wan && !lan && !issues.hasAtOrBelow("firewall.inbound")) {
    issues.add("firewall.inbound", "at least one port is required (tcp or udp, flat or under wan/lan)");
  }
  return result;
}
