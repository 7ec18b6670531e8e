import { existsSync, readFileSync } from "node:fs";
import { validators } from "../../generated/validators/index.js";
import { PROVISIONED_TAG, SSH_WAN_TAG, renderProvisionedScript, renderSshWanScript, provisionedRuleBodies, isFlatInbound, scopedInbound, type InboundFile, type InboundPolicy } from "./firewall-rules.js";
import { describeJsonError, describeSchemaErrors } from "./issues.js";
import { applyNftScript, DEFAULT_NFT, listChainRules, type NftCommand } from "./nft.js";

export const INBOUND_FILE = "/data/config/firewall-inbound.json";
export const SSH_WAN_FLAG = "/data/config/ssh-wan-enabled";

const MIXED_FORMS = "the flat form (tcp, udp) and the scoped form (wan, lan) cannot be mixed";

type LoadedInbound = { ok: true; policy: InboundPolicy; missing: boolean; warnings: string[] } | { ok: false; error: string };

/**
 * Reads the inbound policy. A missing file opens nothing (`{}`); anything else must be
 * valid JSON against schema `firewall-inbound`, or the apply stops before touching nft.
 * The seed documents the flat form `{tcp, udp}`; it is read as WAN ports with a warning,
 * so a hand-written file works but the operator learns it is not what provisioning writes.
 */
function loadInboundPolicy(file = INBOUND_FILE): LoadedInbound {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { ok: true, policy: {}, missing: true, warnings: [] };
    return { ok: false, error: `${file}: cannot read: ${(e as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: describeJsonError(file, text, e as Error).replace(/\n/g, "\\n") };
  }
  const validate = validators["firewall-inbound"];
  if (!validate(value)) {
    // the schema's only `not` is its `exclusive` of the two forms; ajv alone would say "must NOT be valid"
    const errors = (validate.errors ?? []).map((e) => (e.keyword === "not" && e.instancePath === "" ? { ...e, message: MIXED_FORMS } : e));
    return { ok: false, error: `${file}: ${describeSchemaErrors(errors).join("; ")}` };
  }
  const doc = value as InboundFile;
  if (!isFlatInbound(doc)) return { ok: true, policy: doc, missing: false, warnings: [] };
  const warning = `${file}: flat form {"tcp","udp"} read as WAN (eth0) ports; provisioning writes the scoped form {"wan":{...},"lan":{...}}`;
  return { ok: true, policy: scopedInbound(doc), missing: false, warnings: [warning] };
}

export interface FirewallApplyResult {
  rules: string[];
  removed: number;
  missing: boolean;
  /** The `nft -f` batch that was applied. */
  batch: string;
  /** Lines for the journal about how the file was read (the flat form). */
  warnings: string[];
}

/**
 * Replaces the `provisioned-inbound` rules of `inet filter input` with the ones the
 * file asks for, as one `nft -f` batch. Throws (leaving the ruleset as it was) on an
 * invalid file or a batch nft rejects.
 */
export function applyProvisionedInbound(opts: { inboundFile?: string; nft?: NftCommand } = {}): FirewallApplyResult {
  const nft = opts.nft ?? DEFAULT_NFT;
  const loaded = loadInboundPolicy(opts.inboundFile ?? INBOUND_FILE);
  if (!loaded.ok) throw new Error(loaded.error);
  const current = listChainRules(nft, "inet", "filter", "input");
  const batch = renderProvisionedScript(loaded.policy, current);
  applyNftScript(nft, batch);
  return { rules: provisionedRuleBodies(loaded.policy), removed: current.filter((r) => r.comment === PROVISIONED_TAG).length, missing: loaded.missing, batch, warnings: loaded.warnings };
}

/**
 * Makes the SSH-on-WAN rule exist exactly once while the flag file exists and never
 * otherwise. Used both at boot (toggle) and on demand (reload); running it twice
 * leaves the same ruleset.
 */
export function applySshWan(opts: { flagFile?: string; nft?: NftCommand } = {}): { enabled: boolean; removed: number } {
  const nft = opts.nft ?? DEFAULT_NFT;
  const enabled = existsSync(opts.flagFile ?? SSH_WAN_FLAG);
  const current = listChainRules(nft, "inet", "filter", "input");
  applyNftScript(nft, renderSshWanScript(enabled, current));
  return { enabled, removed: current.filter((r) => r.comment === SSH_WAN_TAG).length };
}
