import { spawnSync } from "node:child_process";
import { EXIT, parse, printJson, UsageError } from "../../lib/args.js";
import { applyProvisionedInbound, applySshWan, INBOUND_FILE, SSH_WAN_FLAG } from "./firewall-apply.js";
import { applyLan } from "./lan-apply.js";
import { LAN_SETTINGS_FILE } from "./lan-settings.js";
import { DEFAULT_NFT, type NftCommand } from "./nft.js";

function nftFor(netns: string | undefined): NftCommand {
  if (netns === undefined) return DEFAULT_NFT;
  if (!/^[A-Za-z0-9_.-]+$/.test(netns)) throw new UsageError(`--netns ${netns}: not a namespace name`);
  return ["ip", "netns", "exec", netns, "nft"];
}

function fail(label: string, message: string, json: boolean): number {
  if (json) printJson({ ok: false, error: message });
  else process.stderr.write(`${label}: ${message}\n`);
  return EXIT.findings;
}

/**
 * `lan-apply [--settings FILE] [--root DIR] [--mac MAC | --mac-file FILE] [--restart] [--json]`:
 * lan-gateway-apply.service. With --restart, restarts the units whose inputs changed.
 */
export async function lanApplyCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      settings: { type: "string", default: LAN_SETTINGS_FILE },
      root: { type: "string", default: "" },
      mac: { type: "string" },
      "mac-file": { type: "string", default: "/sys/class/net/eth1/address" },
      restart: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    0,
  );
  let result;
  try {
    result = applyLan({ settingsFile: values.settings, root: values.root, eth1Mac: values.mac, macFile: values["mac-file"] });
  } catch (e) {
    return fail("lan-apply", (e as Error).message, values.json);
  }
  const restarted: string[] = [];
  let restartError: string | undefined;
  if (values.restart && result.restarts.length) {
    // try-restart: at boot the services are not running yet and start later with the new files.
    // --no-block: they are ordered after lan-gateway-apply.service, so their restart jobs
    // wait for this run to end; waiting for them here would deadlock until a timeout.
    const r = spawnSync("systemctl", ["try-restart", "--no-block", ...result.restarts], { encoding: "utf8" });
    if (r.status === 0) restarted.push(...result.restarts);
    else restartError = `systemctl try-restart --no-block ${result.restarts.join(" ")} failed: ${(r.error?.message ?? r.stderr).trim()}`;
  }
  if (values.json) {
    printJson({ ok: !restartError, ...result, restarted, ...(restartError ? { error: restartError } : {}) });
  } else {
    const s = result.settings;
    if (result.fallbackReason) process.stdout.write(`lan-apply: using the fallback LAN settings: ${result.fallbackReason}\n`);
    process.stdout.write(`lan-apply: eth1 ${s.gateway_cidr}, DHCP ${s.dhcp_start}..${s.dhcp_end}, domain ${s.domain}\n`);
    for (const f of result.files) process.stdout.write(`lan-apply: ${f.changed ? "wrote    " : "unchanged"} ${f.file}\n`);
    process.stdout.write(`lan-apply: ${result.restarts.length ? `restart needed: ${result.restarts.join(" ")}` : "no restart needed"}${values.restart && restarted.length ? " (done)" : ""}\n`);
    if (restartError) process.stderr.write(`lan-apply: ${restartError}\n`);
  }
  return restartError ? EXIT.findings : EXIT.ok;
}

/** `firewall-apply [--inbound FILE] [--netns NS] [--json]`: provisioned-firewall-inbound.service. */
export async function firewallApplyCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { inbound: { type: "string", default: INBOUND_FILE }, netns: { type: "string" }, json: { type: "boolean", default: false } }, 0);
  const nft = nftFor(values.netns);
  try {
    const r = applyProvisionedInbound({ inboundFile: values.inbound, nft });
    // stderr in both modes: the journal keeps it and --json stdout stays one document
    for (const w of r.warnings) process.stderr.write(`firewall-apply: warning: ${w}\n`);
    if (values.json) printJson({ ok: true, ...r });
    else {
      if (r.missing) process.stdout.write(`firewall-apply: ${values.inbound} does not exist: no provisioned inbound ports\n`);
      process.stdout.write(`firewall-apply: replaced ${r.removed} provisioned-inbound rule(s) with ${r.rules.length}\n`);
      for (const rule of r.rules) process.stdout.write(`firewall-apply:   ${rule}\n`);
    }
    return EXIT.ok;
  } catch (e) {
    return fail("firewall-apply", `${(e as Error).message}; ruleset left unchanged`, values.json);
  }
}

/** `ssh-wan [--flag FILE] [--netns NS] [--json]`: ssh-wan-toggle.service and ssh-wan-reload.service. */
export async function sshWanCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { flag: { type: "string", default: SSH_WAN_FLAG }, netns: { type: "string" }, json: { type: "boolean", default: false } }, 0);
  const nft = nftFor(values.netns);
  try {
    const r = applySshWan({ flagFile: values.flag, nft });
    if (values.json) printJson({ ok: true, ...r });
    else process.stdout.write(`ssh-wan: ${values.flag} ${r.enabled ? "exists: SSH on eth0 allowed" : "absent: SSH on eth0 not allowed"} (removed ${r.removed} old rule(s))\n`);
    return EXIT.ok;
  } catch (e) {
    return fail("ssh-wan", `${(e as Error).message}; ruleset left unchanged`, values.json);
  }
}
