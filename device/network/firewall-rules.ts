import type { NftRule } from "./nft.js";

/** Comment on every rule the provisioned inbound apply owns. */
export const PROVISIONED_TAG = "provisioned-inbound";
/** Comment on the SSH-on-WAN rule. */
export const SSH_WAN_TAG = "SSH-WAN-dynamic";

const WAN_IF = "eth0";
const LAN_IF = "eth1";

/** The ports of one interface scope. */
export interface InboundPorts {
  tcp?: number[];
  udp?: number[];
}

/** The scoped inbound policy: what provisioning writes and what the rules are built from. */
export interface InboundPolicy {
  wan?: InboundPorts;
  lan?: InboundPorts;
}

/**
 * `/data/config/firewall-inbound.json` as schema `firewall-inbound` admits it: the scoped
 * form, or the seed's flat form meaning WAN (the schema rejects a mix of the two).
 */
export type InboundFile = InboundPolicy | InboundPorts;

/** True when the file is in the seed's flat form, whose ports mean WAN. */
export function isFlatInbound(file: InboundFile): file is InboundPorts {
  return "tcp" in file || "udp" in file;
}

/** The scoped policy a file means: the flat form's ports become `wan`, the scoped form is kept. */
export function scopedInbound(file: InboundFile): InboundPolicy {
  if (!isFlatInbound(file)) return file;
  const wan: InboundPorts = {};
  if (file.tcp !== undefined) wan.tcp = file.tcp;
  if (file.udp !== undefined) wan.udp = file.udp;
  return { wan };
}

/** The chain every dynamic rule lives in; the baseline's other chains are never touched. */
const CHAIN = "inet filter input";

function ports(list: number[] | undefined): number[] {
  return [...new Set(list ?? [])].sort((a, b) => a - b);
}

/** One accept rule per provisioned port, in a fixed order: wan tcp, wan udp, lan tcp, lan udp. */
export function provisionedRuleBodies(policy: InboundPolicy): string[] {
  const rules: string[] = [];
  for (const [scope, iface] of [["wan", WAN_IF], ["lan", LAN_IF]] as const) {
    for (const proto of ["tcp", "udp"] as const) {
      for (const port of ports(policy[scope]?.[proto])) rules.push(`iifname "${iface}" ${proto} dport ${port} accept comment "${PROVISIONED_TAG}"`);
    }
  }
  return rules;
}

function sshWanRuleBody(): string {
  return `iifname "${WAN_IF}" tcp dport 22 accept comment "${SSH_WAN_TAG}"`;
}

/**
 * One batch that deletes every rule carrying `tag` (by handle) and adds `bodies`.
 * New rules go right before `before` when given, so the order of the dynamic rules
 * is the same whatever order the applies ran in; else they are appended.
 */
function renderReplaceScript(current: readonly NftRule[], tag: string, bodies: readonly string[], before?: number): string {
  const lines = [`# ${tag}: replace the rules tagged "${tag}" in ${CHAIN} in one transaction`];
  for (const r of current) if (r.comment === tag) lines.push(`delete rule ${CHAIN} handle ${r.handle}`);
  for (const body of bodies) lines.push(before === undefined ? `add rule ${CHAIN} ${body}` : `insert rule ${CHAIN} position ${before} ${body}`);
  return lines.join("\n") + "\n";
}

/** The provisioned inbound batch: placed before the SSH-on-WAN rule when that exists. */
export function renderProvisionedScript(policy: InboundPolicy, current: readonly NftRule[]): string {
  const ssh = current.find((r) => r.comment === SSH_WAN_TAG);
  return renderReplaceScript(current, PROVISIONED_TAG, provisionedRuleBodies(policy), ssh?.handle);
}

/** The SSH-on-WAN batch: at most one rule, always last among the dynamic rules. */
export function renderSshWanScript(enabled: boolean, current: readonly NftRule[]): string {
  return renderReplaceScript(current, SSH_WAN_TAG, enabled ? [sshWanRuleBody()] : []);
}
